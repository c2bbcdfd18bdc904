"""Exercise of notebook 00: a first, small check that shows how the kit's checkers work."""

from __future__ import annotations

from typing import Any

from ..host import host_info
from . import Exercise

__all__ = ["q0_process_bits"]


def _check_bits(answer: Any) -> tuple[bool, str]:
    bits = host_info().process_bits
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a whole number of bits, such as 16, 32 or 64."
    if answer == bits:
        return True, (f"This Python is a {bits}-bit process: its pointers are {bits // 8} "
                      "bytes wide. Everything it loads must be built for the same width.")
    if answer == bits // 8:
        return False, f"{answer} is the pointer size in bytes; the question asks for bits."
    return False, "Not this process. Look at the doctor's report above: it says how many bits."


q0_process_bits = Exercise(
    name="q0_process_bits",
    question="How many bits wide is a pointer in the Python process running this notebook?",
    checker=_check_bits,
    hint_text="The doctor report above names it; so does struct.calcsize('P') (in bytes).",
    solution_code="import struct\nanswer = struct.calcsize('P') * 8\n",
    explanation="struct.calcsize('P') is the size of a C pointer in this process, in bytes.",
)
