"""Quick mode: ``INTEROPKIT_QUICK=1`` (set by the test command) shortens long work.

Notebooks and tests run the same code paths in both modes; quick mode only does fewer
repetitions, so CI and nbval stay fast while a classroom run gets full statistics.
"""

from __future__ import annotations

import os

__all__ = ["QUICK", "is_quick"]


def is_quick() -> bool:
    """True when ``INTEROPKIT_QUICK`` is set to anything but empty or ``0``."""
    return os.environ.get("INTEROPKIT_QUICK", "") not in ("", "0")


QUICK = is_quick()
"""Quick mode as it was when the kit was imported."""
