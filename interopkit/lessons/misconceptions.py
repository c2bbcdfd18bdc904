"""What learners usually get wrong, as data, and the quizzes that check each point.

The instructor guide (``docs/instructor_guide.md``, "What learners usually get wrong") has one
row per misconception: the belief, what is true, and the notebook that teaches it.
``MISCONCEPTIONS`` holds the same rows, with the source keys behind each (``interopkit.sources``);
a test keeps the two one to one.

Each misconception has one checked quiz, an ``Exercise`` built here and exported by the lesson
module of its notebook (so the answer key lists it there). A quiz is multiple choice (the answer
is a letter) or a value. One of its wrong answers is the misconception itself, and every wrong
answer's feedback names the misconception and says what is true. Where the kit's models can
answer the question (the redirector, the loader matrix, the NDR rules, the basetsd.h helpers,
WOW64's documented limits), the checker asks them when it runs, so a choice is right because the
model says so, not because a letter was written down.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from interopkit.errors import UsageError
from interopkit.lessons.exercise import Exercise

__all__ = ["MISCONCEPTIONS", "Choice", "Misconception", "Quiz", "Wrong", "choice_quiz",
           "misconception", "value_quiz"]


@dataclass(frozen=True)
class Misconception:
    """One row of the guide's table."""

    key: str
    """A short identifier (``system32`` ...)."""
    belief: str
    """What learners believe, as the guide words it."""
    truth: str
    """What is true, as the guide words it (Markdown)."""
    notebook: str
    """The notebook whose quiz checks it ("02" ...)."""
    quiz: str
    """The quiz's name (``m1_system32`` ...), unique in the kit."""
    sources: tuple[str, ...]
    """Source keys behind the truth (``interopkit.sources``); empty where none states it."""

    @property
    def truth_text(self) -> str:
        """The truth without Markdown marks, as feedback shows it."""
        return re.sub(r"\*\*|\*|`", "", self.truth)

    @property
    def named(self) -> str:
        """``the misconception "..."``, as feedback names it."""
        return f'the misconception "{self.belief}"'


def _row(number: int, key: str, belief: str, truth: str, notebook: str,
         *sources: str) -> Misconception:
    return Misconception(key, belief, truth, notebook, f"m{number}_{key}", sources)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    _row(1, "system32", "System32 means 32-bit",
         "On 64-bit Windows, `System32` holds the **64-bit** files; 32-bit ones are in "
         "`SysWOW64`", "02", "W64-FSR", "CHEN-TECHNET"),
    _row(2, "sysnative", "Sysnative works everywhere",
         "Only 32-bit processes see that alias", "02", "W64-FSR"),
    _row(3, "inprocserver32", "InprocServer32 means a 32-bit server",
         "64-bit servers use the same key name; the registry **view** decides", "05",
         "W64-PROCINT", "W64-REGKEYS"),
    _row(4, "handle_ptr", "HANDLE_PTR makes handles portable in RPC",
         "It is 64 bits on the wire in 64-bit stubs and 32 in 32-bit ones. `__int3264` is the "
         "wire-stable type, and it truncates", "06", "W64-PROCINT", "SDK-BASETSD", "MIDL-3264"),
    _row(5, "handles_pointers", "handles and pointers truncate the same way",
         "Handles have 32 significant bits; pointers do not", "06", "W64-IPC", "W64-PTR"),
    _row(6, "sign_extension", "a handle widens by zero extension",
         "Handles are sign-extended (which keeps `INVALID_HANDLE_VALUE` right); `ULONG_PTR` "
         "zero-extends. Every primary source says sign-extend; the notebook shows what zero "
         "extension breaks", "06", "W64-IPC", "SDK-BASETSD", "CHEN-IHV"),
    _row(7, "handle_value", "a handle value can be sent to another process",
         "Handle values are per process: use `DuplicateHandle`, inheritance, or open the object "
         "by its name. Microsoft's *Kernel Objects* page says kernel object handles are process "
         "specific", "06", "KERNEL-OBJ"),
    _row(8, "x64_on_arm", "ARM64 Windows runs x64 apps under WOW64",
         "Only **x86** uses WOW64 on ARM64. x64 code runs through ARM64EC/ARM64X, with no "
         "redirection", "02", "ARM-EMU", "ARM64X"),
    _row(9, "x64_plugin", "an Arm64 process can load my x64 plug-in",
         "It cannot: only x64 or ARM64EC processes can", "03", "ARM64EC", "ARM64X"),
    _row(10, "iswow64process", "IsWow64Process answers the question",
         "Its answer on ARM64 is ambiguous: use `IsWow64Process2`", "02", "ISWOW2"),
    _row(11, "error_codes", "error 193 is the only bitness error",
         "193 is `LoadLibrary`'s code; 0xC000007B is a process-start failure, often a "
         "dependency's; 216 exists too. Do not promise one code", "03",
         "ERR0-499", "DSVC-7B", "MS-ERREF"),
    _row(12, "load_as_data", "a DLL of the other bitness cannot be opened at all",
         "Loading it as data or as an image resource is allowed", "03", "W64-RUN"),
    _row(13, "arm64ec_machine", "an ARM64EC DLL says 0xA641 in its header",
         "A finished ARM64EC image says **0x8664**; 0xA641 and 0xA64E are COFF values of object "
         "files (the WDK's `ntimage.h` defines them beside CHPE_X86 0x3A64), never a finished "
         "image's Machine", "04", "ARM64EC", "SYSINF-376", "WINE-WINNT"),
    _row(14, "msl_loadlib", "msl-loadlib uses shared memory",
         "It uses HTTP on localhost and a pickled temporary file per call", "07", "MSL-40"),
    _row(15, "ndr64", "NDR64 fixes 32/64 interop",
         "32-bit stubs speak only NDR20, so mixed-bitness RPC always uses NDR20", "06",
         "MIDL-PROTO", "MS-RPCE-NEG", "RPC-NDR64"),
    _row(16, "laa_ceiling", "a 32-bit process gets 3 GB under WOW64",
         "2 GiB by default, 4 GiB when the image is large-address-aware", "01", "W64-PERF"),
    _row(17, "arm32_removal", "ARM32 support ended in 24H2",
         'Microsoft says only "a future release of Windows 11", tied to Arm processors '
         "dropping AArch32; the press reported Insider build 25905. No source names 24H2", "03",
         "ARM32-DOC", "PRESS-ARM32"),
)
"""The guide's rows, in its order."""


def misconception(key: str) -> Misconception:
    """The row of ``key``; UsageError for a key the table does not have."""
    for row in MISCONCEPTIONS:
        if row.key == key:
            return row
    raise UsageError(repr(key), "is not a misconception of the guide's table",
                     f"Use one of {', '.join(row.key for row in MISCONCEPTIONS)}")


@dataclass(frozen=True)
class Quiz(Exercise):
    """A checked question on one misconception: an ``Exercise`` that also knows its
    misconception and every wrong answer it expects (the tests try each one)."""

    about: Misconception | None = None
    """The misconception it checks (always given; None only as the dataclass default)."""
    choices: tuple[tuple[str, str], ...] = ()
    """(letter, text) of a multiple-choice quiz, as the notebook prints them; empty for a
    value quiz."""
    known_answers: tuple[Any, ...] = ()
    """The answers the checker has a message for, the misconception's among them: every letter
    of a multiple-choice quiz (one of them right), the known wrong values of a value quiz."""

    def __post_init__(self) -> None:
        if self.about is None:
            raise UsageError(self.name, "is a quiz on no misconception",
                             "Build it with choice_quiz or value_quiz")

    def markdown(self) -> str:
        """The question as the notebook's Markdown cell shows it."""
        number = self.name.split("_", 1)[0]
        stem = self.question.split("\n(a) ", 1)[0]
        lines = [f"**{number}.** {stem}"]
        if self.choices:
            lines += ["", *(f"- ({letter}) {text}" for letter, text in self.choices), "",
                      "Answer with the letter in quotes, such as `\"a\"`."]
        return "\n".join(lines)


@dataclass(frozen=True)
class Choice:
    """One lettered choice of a multiple-choice quiz."""

    text: str
    """As the question prints it."""
    value: Any
    """What the choice claims, in the model's own terms: the choice whose value equals the
    model's answer is the right one."""
    why: str = ""
    """Why it is wrong, when it is."""


@dataclass(frozen=True)
class Wrong:
    """A wrong value that a value quiz expects, and what to say about it."""

    value: Any
    """The wrong answer."""
    why: str = ""
    """What it is instead."""


def _wrong(about: Misconception, why: str, believed: bool) -> str:
    if believed:
        return f"That is {about.named}: {about.truth_text}." + (f" {why}" if why else "")
    return ((f"Not that: {why}" if why else "Not that.") + f" This question is about "
            f"{about.named}; what is true: {about.truth_text}.")


def _letter(answer: Any) -> str:
    # "(b)", "b)" and "b." are the letter as the question printed it.
    if not isinstance(answer, str):
        raise TypeError("answer with a letter, as a string such as 'a'")
    return answer.strip().strip("().").strip().lower()


def choice_quiz(key: str, question: str, choices: list[Choice], believed: int,
                model: Callable[[], Any], right: str, hint: str, solution_code: str,
                explanation: str) -> Quiz:
    """A multiple-choice quiz on misconception ``key``: choices lettered a, b, ... in order;
    ``believed`` is the index of the one that is the misconception; ``model`` computes the value
    of the right choice when the check runs."""
    about = misconception(key)
    letters = "abcdefgh"[:len(choices)]
    by_letter = dict(zip(letters, choices))
    if not 0 <= believed < len(choices):
        raise UsageError(f"believed={believed}", "is not one of the choices",
                         f"Give an index below {len(choices)}")

    def right_letter() -> str:
        truth = model()
        found = [letter for letter, choice in by_letter.items() if choice.value == truth]
        if len(found) != 1:
            raise UsageError(about.quiz, f"has {len(found)} choices that match the model's "
                             f"answer {truth!r}", "Mend the quiz's choices in its lesson module")
        return found[0]

    def check(answer: Any) -> tuple[bool, str]:
        letter = _letter(answer)
        if letter not in by_letter:
            return False, f"Answer with one letter: {', '.join(map(repr, letters))}."
        if letter == right_letter():
            return True, right
        return False, _wrong(about, by_letter[letter].why, letter == letters[believed])

    listed = "\n".join(f"({letter}) {choice.text}" for letter, choice in by_letter.items())
    return Quiz(name=about.quiz, question=f"{question}\n{listed}", checker=check,
                hint_text=hint, solution_code=solution_code, explanation=explanation,
                about=about, choices=tuple((letter, c.text) for letter, c in by_letter.items()),
                known_answers=tuple(letters))


def value_quiz(key: str, question: str, kind: type | tuple[type, ...], form: str,
               wrong: list[Wrong], believed: int, model: Callable[[], Any], right: str,
               hint: str, solution_code: str, explanation: str,
               same: Callable[[Any, Any], bool] = lambda a, b: a == b) -> Quiz:
    """A quiz whose answer is a value of ``kind`` (``form`` says it in words: "a number"):
    ``model`` computes the right one when the check runs, ``same`` compares;
    ``wrong[believed]`` is the misconception's value."""
    about = misconception(key)

    def check(answer: Any) -> tuple[bool, str]:
        if not isinstance(answer, kind) or isinstance(answer, bool):
            return False, f"Give the answer as {form}."
        if same(answer, model()):
            return True, right
        for index, known in enumerate(wrong):
            if same(answer, known.value):
                return False, _wrong(about, known.why, index == believed)
        return False, _wrong(about, "", False)

    return Quiz(name=about.quiz, question=question, checker=check, hint_text=hint,
                solution_code=solution_code, explanation=explanation, about=about,
                known_answers=tuple(w.value for w in wrong))
