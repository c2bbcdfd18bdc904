"""The kit's cache folder: one place that says where the kit keeps what it makes for a user.

``~/.cache/interopkit`` by default; ``INTEROPKIT_CACHE`` names another folder (the tests point it
at a temporary one, so that no test run touches a learner's progress). Notebook 01's mystery
folder and the learner's progress (``interopkit progress``) live there. The kit's Wine prefix
stays in the default folder whatever ``INTEROPKIT_CACHE`` says: it takes about 20 s to make
and is shared by every run, so it must not move with a temporary cache (``WINEPREFIX`` moves
it instead).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_FOLDER", "ENVIRONMENT_VARIABLE", "folder"]

DEFAULT_FOLDER = Path.home() / ".cache" / "interopkit"
"""The cache folder when ``INTEROPKIT_CACHE`` is not set."""

ENVIRONMENT_VARIABLE = "INTEROPKIT_CACHE"
"""The variable that names another cache folder."""


def folder() -> Path:
    """The cache folder in use now: ``$INTEROPKIT_CACHE`` when set and not empty, else
    ``DEFAULT_FOLDER``. Not created here: whoever writes into it makes it."""
    named = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return Path(named).expanduser() if named else DEFAULT_FOLDER
