from interopkit.samples import sample_path
from interopkit.tables import image_summary_html
from interopkit.widgets import (
    explorer_choices,
    image_explorer,
    load_explorer,
    redirect_explorer,
    render_check,
    render_status,
)


def test_explorer_follows_the_dropdown_and_the_text_box() -> None:
    box = image_explorer()
    picker, own, output = box.children[0].children[0], box.children[1], box.children[2]
    assert "I386 = 0x014C" in output.value
    picker.value = "sample_arm64.dll"
    assert "ARM64 = 0xAA64" in output.value
    own.value = "/no/such/file.dll"
    assert "does not exist" in output.value


def test_choices_include_samples_and_probes() -> None:
    choices = explorer_choices()
    assert "libsample_aarch64.so" in choices and "probe_x86.exe" in choices


def test_summary_escapes_and_reports_imports() -> None:
    from interopkit.samples import probe_path

    html = image_summary_html(probe_path("probe_x64.exe"))
    assert "KERNEL32.dll: ExitProcess, " in html and "VirtualAlloc" in html
    assert "none (import-free)" in image_summary_html(sample_path("windows", "x86"))


def test_render_check_counts_views() -> None:
    slider = render_check()
    assert slider._view_count == 0
    assert "0 views" in render_status(slider)
    slider._view_count = 1
    assert render_status(slider).startswith("Widgets work")


def test_load_explorer_follows_every_control() -> None:
    box = load_explorer()
    process, host, mode = box.children[0].children
    image, output = box.children[1], box.children[2]
    assert "fails: ERROR_BAD_EXE_FORMAT (193)" in output.value  # x64 process, I386 image
    image.value = "AMD64"
    assert "loads" in output.value and "fails" not in output.value
    host.value = "win10-arm64"
    assert "no such process" in output.value  # no x64 on Windows 10 on Arm
    process.value, image.value, mode.value = "x86", "ARM64", "datafile"
    assert "data file" in output.value


def test_redirect_explorer_follows_every_control() -> None:
    box = redirect_explorer()
    target, (process, _host), (view64, view32), output = (
        box.children[0], box.children[1].children, box.children[2].children, box.children[3])
    assert "SysWOW64" in output.value
    process.value = "x64"
    assert "(not redirected)" in output.value
    target.value = "HKLM\\SOFTWARE\\Vendor"
    view32.value = True
    assert "Wow6432Node" in output.value
    view64.value = True
    assert "ERROR_INVALID_PARAMETER" in output.value
    view64.value = False
    target.value = "Computer\\HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor"  # regedit's address bar
    assert "HKLM\\SOFTWARE\\Wow6432Node\\Vendor" in output.value


def test_emulator_explorer_runs_what_is_chosen() -> None:
    from interopkit.widgets import emulator_explorer

    box = emulator_explorer()
    arch, export = box.children[0].children
    arguments, output = box.children[1], box.children[2]
    assert "returned <b>5</b>" in output.value and "rcx" in output.value
    arch.value = "x86"
    export.value = "add_stdcall"
    assert "add_stdcall@8" in output.value and "esp" in output.value
    export.value, arguments.value = "checksum", "text:hello 5"
    assert "0x4f9f2cab" in output.value
    arguments.value = "0x10 5"
    assert "faulted" in output.value


def test_surrogate_explorer_calls_through_the_chosen_surrogate() -> None:
    from interopkit.widgets import surrogate_explorer

    box = surrogate_explorer()
    dll, kind = box.children[0].children
    export, arguments = box.children[1].children
    output = box.children[2]
    assert "returned <b>5</b>" in output.value and "received: 24 bytes" in output.value
    assert "4-byte pointers" in output.value
    dll.value = "x64"
    assert "8-byte pointers" in output.value
    kind.value = "emulated"
    assert "<b>emulated</b> surrogate" in output.value
    export.value, arguments.value = "echo_ptr", "0x123456789"
    assert "returned <b>4886718345</b>" in output.value
    dll.value = "x86"
    assert "returned <b>591751049</b>" in output.value  # 0x23456789: the low 32 bits
    export.value, arguments.value = "checksum", "0x10 5"  # a bad pointer
    assert "FAULT" in output.value and "UC_ERR_READ_UNMAPPED" in output.value
    arguments.value = "text:"  # a bad argument: the kit's error, in the output
    assert "is not an argument" in output.value


def test_bits_explorer_follows_every_control() -> None:
    from interopkit.widgets import bits_explorer

    box = bits_explorer()
    (kind, number), (sender, receiver, syntax), output = (
        box.children[0].children, box.children[1].children, box.children[2])
    assert "0x23456789" in output.value and "information lost" in output.value
    receiver.value = 64
    assert "nothing lost" not in output.value  # NDR20 cuts it even between 64-bit stubs
    syntax.value = "ndr64"
    assert "nothing lost" in output.value and "unverified" in output.value
    kind.value = "HANDLE_PTR"
    sender.value, receiver.value = 32, 64
    assert "undefined" in output.value and "derived" in output.value
    number.value = "not a number"
    assert "is not an integer" in output.value


def test_cost_explorer_times_what_is_chosen_and_progress_follows() -> None:
    from interopkit.widgets import bench_progress, cost_explorer

    box = cost_explorer()
    (experiment, payload), output = box.children[0].children, box.children[1]
    assert "surrogate_cross_bitness" in output.value and "the in-process call" in output.value
    payload.value = 4096
    experiment.value = "marshal_inproc"
    assert "<b>marshal_inproc</b>" in output.value
    bar, progress = bench_progress()
    progress(3, 42, "emulated, 16 bytes")
    assert (bar.children[0].value, bar.children[0].max) == (3, 42)
    assert bar.children[1].value == "emulated, 16 bytes"


def test_summary_caps_a_long_export_list() -> None:
    # A system library lists thousands of exports (libc: 2,721); the explorer shows the first
    # ones and says how many more there are.
    html = image_summary_html(sample_path("windows", "x86"), max_exports=3)
    assert "add, add_stdcall@8, arch_name ... and 7 more (10 in all)" in html
    assert "checksum" not in html
    assert "more (" not in image_summary_html(sample_path("windows", "x86"))


def test_summary_names_elf_machines_as_elf_does() -> None:
    html = image_summary_html(sample_path("linux", "x86_64"))
    assert "EM_X86_64 = 62" in html and "0x003E" not in html and "AMD64 = " not in html
    assert "AMD64 = 0x8664" in image_summary_html(sample_path("windows", "x64"))


def _children() -> set[int]:
    """Live child processes of this process (Linux /proc; empty elsewhere)."""
    import os
    from pathlib import Path

    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def test_surrogate_explorer_leaves_no_surrogate_running() -> None:
    from interopkit.widgets import surrogate_explorer

    before = _children()
    box = surrogate_explorer()
    dll, kind = box.children[0].children
    export, arguments = box.children[1].children
    dll.value = "x64"
    export.value, arguments.value = "counter_next", ""
    assert "returned <b>1</b>" in box.children[2].value  # a fresh surrogate for every call
    kind.value = "emulated"
    assert _children() - before == set()


def test_call_controls_give_defaults_check_counts_and_cap_lists() -> None:
    from interopkit.widgets import _call_controls, emulator_explorer

    box = emulator_explorer()
    _arch, export = box.children[0].children
    arguments, output = box.children[1], box.children[2]
    export.value = "checksum"  # issue 15: "2 3" stayed and the first try faulted
    assert arguments.value == "text:hello 5" and "faulted" not in output.value
    assert "0x4f9f2cab" in output.value
    arguments.value = "2"
    assert "takes 2 arguments (buf, len); 1 given" in output.value
    export.value = "ptr_size"
    assert arguments.value == "" and "returned <b>8</b>" in output.value
    capped, _ = _call_controls([f"f{i}" for i in range(2721)])
    assert len(capped.options) == 40 and "40 of 2,721" in capped.description


def test_load_matrix_explorer_draws_the_chosen_windows() -> None:
    import matplotlib.pyplot as plt

    from interopkit.widgets import load_matrix_explorer

    before = plt.get_fignums()
    box = load_matrix_explorer("win11-x64")
    picker = box.children[0]
    assert len(picker.options) == 5
    picker.value = "win10-arm64"
    assert plt.get_fignums() == before  # each figure is shown once, then closed
