"""Notebook 04 (arm64 emulation): its tables, diagrams, explorers and checked exercises.

Exercises of notebook 04 (emulation); answers come from running the emulator."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from interopkit.emulation.emulator import Buffer, Emulator
from interopkit.errors import InteropKitError, UsageError
from interopkit.kit.samples import sample_path
from interopkit.lessons.exercise import Exercise
from interopkit.lessons.misconceptions import Wrong, value_quiz

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from interopkit.lessons.controls import _arguments_problem, _call_controls
from interopkit.lessons.html import _sample_export, _table

__all__ = [
    "draw_emulation_cost",
    "draw_translation",
    "emulator_explorer",
    "m13_arm64ec_machine",
    "q1_stdcall_bytes",
    "q2_third_register",
    "q3_arm64_processes",
    "q4_arm64_per_byte",
]


def _number(answer: Any) -> float | None:
    """A learner's number: an int, an integral or other float, or a numeric string ('8')."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, (int, float)):
        return float(answer)
    if isinstance(answer, str):
        try:
            return float(answer.strip())
        except ValueError:
            return None
    return None


def _stdcall_popped() -> int:
    call = Emulator(sample_path("windows", "x86")).call("add_stdcall@8", 1, 2)
    return call.registers_after["esp"] - call.registers_before["esp"] - 4  # minus the return


def _check_stdcall(answer: Any) -> tuple[bool, str]:
    number = _number(answer)
    if number is None or number != int(number):
        return False, "Give a whole number of bytes, such as 4."
    # add_stdcall@8 takes two ints: what it removes, per int, scaled to three ints.
    per_int = _stdcall_popped() // 2
    three = 3 * per_int
    given = int(number)
    if given == three:
        return True, (f"{three} bytes: three 4-byte ints, so its `ret` is `ret {three}` and "
                      f"zig/MinGW export it as scale@{three} (MSVC: _scale@{three}). "
                      "add_stdcall@8 showed the rule with two.")
    if given == 2 * per_int:
        return False, ("That is add_stdcall@8, which takes two ints. scale takes three: what "
                       "does each one add?")
    if given == three + 4:
        return False, "That includes the 4-byte return address, which every `ret` pops."
    if given == 0:
        return False, "That is cdecl, where the caller cleans up. stdcall is the other way."
    if given == 3 * 8:
        return False, "On x86 an int is 4 bytes on the stack, not 8."
    return False, ("Section 3's stdcall table shows what add_stdcall@8's `ret` removes for two "
                   "ints; scale has three.")


def _fill_registers() -> dict[str, int]:
    """The ARM64 registers at entry of fill(out, 64, 0x5A): the seed is easy to spot."""
    call = Emulator(sample_path("windows", "arm64")).call("fill", Buffer(bytes(64)), 64, 0x5A)
    # The kit's table shows X0 as 'result' (it carries the result out too).
    return {("x0" if name == "result" else name): value
            for name, value in call.registers_before.items()}


def _check_register(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give a register name, such as 'x5'."
    name = answer.strip().lower()
    registers = _fill_registers()
    third = next(r for r in sorted(registers) if r.startswith("x") and registers[r] == 0x5A)
    if name == third:
        return True, (f"{third.upper()}: ARM64 passes integer arguments in registers, X0 first "
                      "(the buffer's address), X1 (the length), X2 (the seed).")
    if name == "w" + third[1:]:
        return True, (f"W{third[1:]} is the low 32 bits of {third.upper()}, and the seed is "
                      "small: right. The convention names the 64-bit registers X0, X1, X2...")
    if name in ("x0", "w0", "result"):
        return False, "X0 holds fill's first argument, the buffer's address (and the result out)."
    if name in ("x1", "w1"):
        return False, "X1 holds the second argument, the length."
    if name in ("r8", "r8d", "rdx", "rcx", "r9"):
        return False, "That is an x64 register; the question is about the ARM64 build."
    if name in ("stack", "sp", "[sp]"):
        return False, ("ARM64 does not use the stack for a third integer argument. Call fill "
                       "with a seed you will recognise and read registers_before.")
    return False, ("Call fill(Buffer(bytes(64)), 64, 0x5A) on the ARM64 emulator and find the "
                   "register that held 0x5A at entry (registers_before).")


def _check_arm64_processes(answer: Any) -> tuple[bool, str]:
    from interopkit.loading.loader import ImageKind, ProcessKind, load_outcome

    if isinstance(answer, str):
        answer = {answer}
    try:
        chosen = {ProcessKind(str(p).strip().lower()).value for p in answer}
    except (TypeError, ValueError):
        return False, "Give a set of process kinds, such as {'x86', 'x64'}."
    expected = {p.value for p in ProcessKind
                if load_outcome(p, ImageKind.ARM64, "win11-arm64").loads}
    if chosen == expected:
        return True, ("Only a classic Arm64 process: without hybrid metadata the file holds "
                      "plain Arm64 code and nothing that follows x64 conventions. That is the "
                      "difference ARM64X makes with the same 0xAA64 header.")
    if chosen & {"x64", "arm64ec"}:
        return False, ("x64 and ARM64EC processes need x64-compatible code. A plain 0xAA64 file "
                       "without hybrid metadata has none: only ARM64X carries both kinds.")
    if "x86" in chosen or "arm32" in chosen:
        return False, "Those are 32-bit processes; a 64-bit Arm file cannot load in them."
    return False, "Its header says 0xAA64 and nothing more: which process runs plain Arm64 code?"


_SIZES = (1024, 2048)
"""Two multiples of 32, at least 64: fill's loop does 32 bytes a pass with no leftover steps."""


def _per_byte(arch: str, export: str, sizes: tuple[int, int] = _SIZES) -> float:
    """Instructions per byte of ``export``'s loop: counts at two sizes, the fixed cost cancels."""
    emulator = Emulator(sample_path("windows", arch))
    extra = (7,) if export == "fill" else ()  # fill's third argument, the seed
    small, large = sizes
    first = emulator.call(export, Buffer(bytes(small)), small, *extra).instructions or 0
    second = emulator.call(export, Buffer(bytes(large)), large, *extra).instructions or 0
    return (second - first) / (large - small)


def _check_per_byte(answer: Any) -> tuple[bool, str]:
    number = _number(answer)
    if number is None:
        return False, "Give a number."
    # Any two sizes that are multiples of 32 and at least 64 give this value (the question asks
    # for such sizes); the checker measures two pairs to keep itself honest.
    expected = _per_byte("arm64", "fill")
    if abs(number - expected) < 0.01 and abs(_per_byte("arm64", "fill", (64, 96)) - expected) \
            < 1e-9:
        return True, (f"{expected:g} instructions per byte, far fewer than one: the compiler "
                      "turned fill's loop into vector (SIMD: one instruction on several values "
                      "at once) instructions that compute and store 16 bytes each, 32 bytes per "
                      "pass (the stp of two q registers in its disassembly). checksum cannot be "
                      "split that way: each byte's step needs the hash of the byte before.")
    for arch in ("arm64", "x64"):
        if abs(number - _per_byte(arch, "checksum")) < 0.01:
            return False, (f"{number:g} is checksum's loop on {arch}, counted in section 4's "
                           "table. The question is about fill: count its instructions for two "
                           "sizes and divide the difference by the difference in bytes.")
    if number < 0 or number > 1:
        return False, (f"{number:g}: were your sizes multiples of 32? fill's loop handles 32 "
                       "bytes a pass, then finishes the leftover bytes (fewer than 32) in extra "
                       "steps, so a size just above a multiple of 32 can cost more instructions "
                       "than a larger one. Use two multiples of 32, at least 64.")
    return False, ("Count fill's instructions for two sizes that are multiples of 32 (at least "
                   "64), and divide the difference by the difference in bytes.")


q1_stdcall_bytes = Exercise(
    name="q1_stdcall_bytes",
    question="On x86, `int __stdcall scale(int a, int b, int c)` takes three ints. How many "
             "bytes of arguments does it remove from the stack when it returns?",
    checker=_check_stdcall,
    hint_text="Section 3's table: ESP after add_stdcall@8 moved by its two ints plus the 4-byte "
              "return address. Each int is one 4-byte stack slot.",
    solution_code=("from interopkit.emulation.emulator import Emulator\n"
                   "from interopkit.kit.samples import sample_path\n"
                   "call = Emulator(sample_path('windows', 'x86')).call('add_stdcall@8', 1, 2)\n"
                   "two = call.registers_after['esp'] - call.registers_before['esp'] - 4\n"
                   "answer = two // 2 * 3\n"),
    explanation="stdcall's callee pops its arguments: 4 bytes per int on x86, so `ret 12` and "
                "the name scale@12.",
)


q2_third_register = Exercise(
    name="q2_third_register",
    question="In which register does the ARM64 build of fill(out, len, seed) receive its third "
             "argument, seed?",
    checker=_check_register,
    hint_text="Call fill(Buffer(bytes(64)), 64, 0x5A) on the ARM64 emulator and look for 0x5A "
              "in .registers_before (the kit names X0 'result').",
    solution_code=("from interopkit.emulation.emulator import Buffer, Emulator\n"
                   "from interopkit.kit.samples import sample_path\n"
                   "call = Emulator(sample_path('windows', 'arm64')).call(\n"
                   "    'fill', Buffer(bytes(64)), 64, 0x5A)\n"
                   "answer = next(r for r, v in call.registers_before.items() if v == 0x5A)\n"),
    explanation="ARM64 passes integer arguments in X0, X1, X2, ...: the seed, third, is in X2.",
)


q3_arm64_processes = Exercise(
    name="q3_arm64_processes",
    question="A DLL's header says 0xAA64 and it has no hybrid metadata. Which process kinds on "
             "Windows 11 on Arm can load it?",
    checker=_check_arm64_processes,
    hint_text="Section 5 showed ARM64X, with the same header and hybrid metadata. What does a "
              "file without that metadata hold?",
    solution_code=("from interopkit.loading.loader import ProcessKind, load_outcome\n"
                   "answer = {p.value for p in ProcessKind\n"
                   "          if load_outcome(p, 'ARM64', 'win11-arm64').loads}\n"),
    explanation="The loader model encodes Microsoft's tables: plain Arm64 code loads only in an "
                "Arm64 process.",
)


q4_arm64_per_byte = Exercise(
    name="q4_arm64_per_byte",
    question="How many instructions per byte does the ARM64 build's fill loop execute? Count "
             "two sizes that are multiples of 32, at least 64.",
    checker=_check_per_byte,
    hint_text="Call fill(Buffer(bytes(n)), n, seed) on the ARM64 emulator for two sizes n that "
              "are multiples of 32 (64 and 128, say); .instructions counts each call.",
    solution_code=("from interopkit.emulation.emulator import Buffer, Emulator\n"
                   "from interopkit.kit.samples import sample_path\n"
                   "e = Emulator(sample_path('windows', 'arm64'))\n"
                   "a = e.call('fill', Buffer(bytes(1024)), 1024, 7).instructions\n"
                   "b = e.call('fill', Buffer(bytes(2048)), 2048, 7).instructions\n"
                   "answer = (b - a) / 1024\n"),
    explanation="Instruction counts are exact and repeatable, unlike times; the difference of "
                "two sizes removes the fixed cost of the call, and multiples of 32 avoid the "
                "loop's leftover steps.",
)


def emulated_call_html(arch: str, export: str, arguments: str) -> str:
    """Run ``export`` of the sample built for ``arch`` on the emulator; registers before/after."""
    from interopkit.emulation.emulator import Emulator
    from interopkit.lessons.callargs import check_arguments, parse_arguments

    name = _sample_export(export, 32 if arch == "x86" else 64)
    try:
        values = parse_arguments(arguments)
        check_arguments(name, values)
        call = Emulator(sample_path("windows", arch)).call(name, *values)
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    rows = [[register, f"0x{call.registers_before[register]:x}",
             f"0x{call.registers_after[register]:x}"]
            for register in call.registers_before if register != "pc"]
    head = (f"<p><b>{html.escape(name)}</b> on an emulated {arch} CPU returned "
            f"<b>{call.result}</b> (0x{call.result:x}) after {call.instructions} instructions"
            f" ({call.seconds * 1e6:.0f} us).</p>")
    buffers = "".join(f"<p>buffer {i}: {data[:32].hex()}</p>" for i, data in
                      enumerate(call.buffers))
    return head + _table(["register", "at entry", "at return"], rows) + buffers


def disassembly_html(listings: dict[str, list[Any]]) -> str:
    """Disassembled exports side by side, one column per build."""
    depth = max(len(v) for v in listings.values())
    rows = [[(listing[i].text if i < len(listing) else "") for listing in listings.values()]
            for i in range(depth)]
    return _table(list(listings), rows)


def cost_table_html(records: list[Any]) -> str:
    """Measured native and emulated times, instructions and slowdown per arch and size."""
    rows = [[r.arch, f"{r.size:,}", f"{r.native_seconds * 1e6:,.1f}",
             f"{r.emulated_seconds * 1e6:,.1f}", f"{r.instructions:,}", f"{r.slowdown:.1f}x"]
            for r in records]
    return _table(["CPU", "bytes", "native (us)", "emulated (us)", "instructions", "slowdown"],
                  rows)


def _times(value: float) -> str:
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def draw_emulation_cost(records: list[Any], ax: Axes | None = None) -> Axes:
    """Measured slowdown of the emulated checksum against native, per architecture and size;
    beside it, in a panel of its own, the slowdowns other emulators published (other hardware,
    other work: context, not a ranking), each with its source key.

    ``records`` come from ``interopkit.emulation.cost.native_vs_emulated``; taught in notebook 04.
    Returns the measured Axes; the published panel is ``ax.child_axes[0]``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from interopkit.emulation.cost import PUBLISHED

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5.5))
        ax.figure.subplots_adjust(left=0.08, right=0.62, bottom=0.24, top=0.9)
    colours = {"x86": "#1f4e9e", "x64": "#d9730d", "arm64": "#7b2d8e"}
    markers = {"x86": "o", "x64": "s", "arm64": "^"}
    for arch in sorted({r.arch for r in records}):
        mine = sorted((r for r in records if r.arch == arch), key=lambda r: r.size)
        ax.plot([r.size for r in mine], [r.slowdown for r in mine], marker=markers.get(arch, "o"),
                color=colours.get(arch), linewidth=2, label=f"emulated {arch} (measured here)")
    side = ax.inset_axes([1.04, 0.0, 0.55, 1.0])
    for index, published in enumerate(PUBLISHED):
        low, high = 1 / published.high, 1 / published.low
        side.bar(index, high - low, bottom=low, width=0.6, color="#bbbbbb", edgecolor="#555555")
        side.text(index, high * 1.08, _times(low) if _times(low) == _times(high) else
                  f"{_times(low)}-{_times(high)}", ha="center", va="bottom", fontsize=9)
    side.set_xticks(range(len(PUBLISHED)), [f"{p.name.split(' (')[0]}\n[{p.source}]"
                                            for p in PUBLISHED], rotation=40, ha="right",
                    rotation_mode="anchor", fontsize=8)
    side.yaxis.tick_right()
    side.set_title("published elsewhere\n(other hardware, other work)", fontsize=9)
    side.set_xlim(-0.6, len(PUBLISHED) - 0.4)
    measured = [r.slowdown for r in records]
    top = max([*measured, *(1 / p.low for p in PUBLISHED)]) * 1.6
    bottom = min([1.0, *measured]) / 1.3
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if bottom <= t <= top]
    for axes in (ax, side):
        axes.set_yscale("log")
        axes.set_ylim(bottom, top)
        axes.yaxis.set_major_locator(FixedLocator(ticks))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
        axes.yaxis.set_minor_locator(NullLocator())
        axes.axhline(1, color="#333333", linestyle="--", linewidth=1,
                     label="native speed (1x)" if axes is ax else None)
        axes.grid(axis="y", color="#dddddd")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("bytes checksummed")
    ax.set_ylabel("times slower than native")
    ax.set_title("checksum on this machine's emulator (Unicorn)", fontsize=10)
    # Just above the 1x line, where no emulator's slowdown falls: "upper left" hid the points.
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 0.08))
    return ax


def draw_translation(seconds: list[float], ax: Axes | None = None) -> Axes:
    """Time of each call on one fresh emulator: the first pays for translating the code."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    colours = ["#d62728"] + ["#1f77b4"] * (len(seconds) - 1)
    ax.bar(range(1, len(seconds) + 1), [s * 1e6 for s in seconds], color=colours)
    ax.set_xlabel("call number on the same emulator")
    ax.set_ylabel("microseconds")
    ax.set_title("Call 1 on a fresh emulator includes translating the code (red); later calls "
                 "reuse the translation", fontsize=9)
    return ax


def emulator_explorer() -> Any:
    """Pick an architecture, an export and arguments; run it on the emulated CPU and see the
    registers before and after."""
    import ipywidgets as widgets

    from interopkit.lessons.arm64_emulation import emulated_call_html

    arch = widgets.Dropdown(options=["x86", "x64", "arm64"], value="x64", description="CPU")
    export, arguments = _call_controls()
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        output.value = (_arguments_problem(export.value, arguments.value) or
                        emulated_call_html(arch.value, export.value, arguments.value))

    for control in (arch, export, arguments):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([arch, export]), arguments, output])


# --- Check your understanding: the guide's misconception on ARM64EC's header ------------------

def _arm64ec_header() -> int:
    """The Machine field of the finished image that the kit's inspector and loader model take
    for ARM64EC: each finished machine, built with hybrid metadata, is inspected and classified
    (as section 5 does)."""
    import tempfile
    from pathlib import Path

    from interopkit.images.inspection import inspect
    from interopkit.images.machine import Machine
    from interopkit.images.pewriter import write_image
    from interopkit.loading.loader import ImageKind, image_kind

    with tempfile.TemporaryDirectory() as tmp:
        for machine in (Machine.I386, Machine.AMD64, Machine.ARM64):
            info = inspect(write_image(Path(tmp) / f"{machine.name}.dll", machine, hybrid=True))
            if image_kind(info) is ImageKind.ARM64EC:
                return info.machine_value
    raise UsageError("the loader model", "took no finished image for ARM64EC",
                     "Mend interopkit.loading.loader.image_kind")


m13_arm64ec_machine = value_quiz(
    "arm64ec_machine",
    "A finished ARM64EC DLL, as a linker ships it: what number does the Machine field of its "
    "COFF header hold? (an int, such as 0x14C)",
    int, "an int, such as 0x14C",
    [Wrong(0xA641),
     Wrong(0xA64E, "0xA64E is ARM64X's COFF value, and a finished ARM64X image says 0xAA64."),
     Wrong(0xAA64, "0xAA64 is classic Arm64, the header of a finished ARM64X image.")],
    believed=0, model=_arm64ec_header,
    right="0x8664, the x64 value: from its header an ARM64EC image looks like x64, and hybrid "
          "metadata, found through its load configuration, marks it (ARM64EC, LLVM-D149089).",
    hint="Section 5 builds one and inspects it: read the header column, not the format's name.",
    solution_code="# Section 5: arm64ec.dll has header 0x8664 and hybrid metadata ARM64EC.\n"
                  "answer = 0x8664\n",
    explanation="0xA641 is a COFF value of ARM64EC object and library files; a finished ARM64EC "
                "image carries the x64 Machine value (ARM64EC, SYSINF-376).",
)
