"""The kit's one exception tree.

    InteropKitError            everything the kit raises on purpose
    ├── ImageError             a file that is not a usable PE or ELF image: missing, a folder,
    │                          empty, truncated, random bytes, a format the kit does not read
    ├── HostError              this machine cannot do what was asked (no 32-bit processes,
    │                          not Windows, a probe that would not run)
    ├── ToolchainError         the zig build or the website's build (Sphinx) failed, or
    │                          its tool is not installed
    ├── SurrogateError         the surrogate process refused, failed or died
    └── UsageError             a wrong argument to a kit function or command

Errors from lower layers (pefile, struct, OSError, subprocess) are converted where the kit
calls them, with the original chained as ``__cause__``. Each error names the thing, says what
is wrong, carries the Windows error code where one applies, and says what to do about it.
"""

from __future__ import annotations

from interopkit.winerror import WinError

__all__ = ["HostError", "ImageError", "InteropKitError", "SurrogateError", "ToolchainError",
           "UsageError"]


class InteropKitError(Exception):
    """Base class: ``subject`` (the file or thing), ``problem``, ``remedy``, optional ``code``."""

    def __init__(self, subject: str, problem: str, remedy: str = "",
                 code: WinError | None = None) -> None:
        self.subject = subject
        self.problem = problem
        self.remedy = remedy
        self.code = code
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.subject}: {self.problem}"
        if self.code is not None:
            text = f"{self.code.describe()}: {text}"
        if self.remedy:
            text = f"{text}. {self.remedy}"
        return text


class ImageError(InteropKitError):
    """A file the kit cannot read as an executable image."""


class HostError(InteropKitError):
    """This machine cannot demonstrate what was asked."""


class ToolchainError(InteropKitError):
    """Building the kit's binaries or its website failed, or the tool is missing."""


class SurrogateError(InteropKitError):
    """The surrogate process could not host the DLL, failed a call, or died."""


class UsageError(InteropKitError):
    """A wrong argument."""
