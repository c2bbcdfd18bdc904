"""Windows error codes the kit quotes, each with Microsoft's message text and the source key.

The numbers and messages come from Microsoft's "System Error Codes (0-499)" page and
[MS-ERREF] (keys ERR0-499 and MS-ERREF in ``interopkit.sources``). Which code Windows returns
in which situation is not fully documented (no source the kit found says when 216 appears
rather than 193; Wine reports 193), so the lessons teach 193 and 216 together as "wrong
architecture or not a PE". 126 (ERROR_MOD_NOT_FOUND) is reported both when the DLL itself and
when a DLL it depends on is missing.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["WinError"]


class WinError(IntEnum):
    """A Win32 error code (or NTSTATUS) with its documented message."""

    phrase: str
    source: str

    # typing.Self would be exact, but the kit supports Python 3.10.
    def __new__(cls, value: int, phrase: str, source: str) -> WinError:  # noqa: PYI034
        member = int.__new__(cls, value)
        member._value_ = value
        member.phrase = phrase
        member.source = source
        return member

    ERROR_FILE_NOT_FOUND = (2, "The system cannot find the file specified.", "ERR0-499")
    ERROR_ACCESS_DENIED = (5, "Access is denied.", "ERR0-499")
    ERROR_BAD_FORMAT = (11, "An attempt was made to load a program with an incorrect format.",
                        "ERR0-499")
    ERROR_INVALID_PARAMETER = (87, "The parameter is incorrect.", "ERR0-499")
    ERROR_MOD_NOT_FOUND = (126, "The specified module could not be found.", "ERR0-499")
    ERROR_PROC_NOT_FOUND = (127, "The specified procedure could not be found.", "ERR0-499")
    ERROR_BAD_EXE_FORMAT = (193, "%1 is not a valid Win32 application.", "ERR0-499")
    ERROR_EXE_MACHINE_TYPE_MISMATCH = (
        216,
        ("This version of %1 is not compatible with the version of Windows you're running. "
        "Check your computer's system information and then contact the software publisher."),
        "ERR0-499",
    )
    COR_E_BADIMAGEFORMAT = (
        0x8007000B,
        ("BadImageFormatException: ERROR_BAD_FORMAT (11) as an HRESULT; .NET's error for an "
        "assembly of the wrong platform."),
        "BADIMG",
    )
    STATUS_ACCESS_VIOLATION = (
        0xC0000005,
        ("{EXCEPTION} Access Violation The instruction at 0x%08lx referenced memory at "
         "0x%08lx. The memory could not be %s."),
        "MS-ERREF",
    )
    STATUS_INVALID_IMAGE_FORMAT = (
        0xC000007B,
        "{Bad Image} %hs is either not designed to run on Windows or it contains an error.",
        "MS-ERREF",
    )
    # COM's HRESULTs (winerror.h): what CoCreateInstance and marshaled calls return.
    E_NOINTERFACE = (0x80004002, "No such interface supported", "WINERROR-H")
    E_FAIL = (0x80004005, "Unspecified error", "WINERROR-H")
    E_INVALIDARG = (0x80070057, "One or more arguments are invalid", "WINERROR-H")
    REGDB_E_KEYMISSING = (0x80040152, "Could not find the key in the registry", "WINERROR-H")
    REGDB_E_CLASSNOTREG = (0x80040154, "Class not registered", "WINERROR-H")
    REGDB_E_IIDNOTREG = (0x80040155, "Interface not registered", "WINERROR-H")
    CO_E_SERVER_EXEC_FAILURE = (0x80080005, "Server execution failed", "WINERROR-H")
    RPC_E_DISCONNECTED = (0x80010108, "The object invoked has disconnected from its clients",
                          "WINERROR-H")
    RPC_E_SERVERFAULT = (0x80010105, "The server threw an exception", "WINERROR-H")

    def describe(self) -> str:
        """`NAME (code)` as Windows tools print it: decimal for Win32 codes, hex for NTSTATUS."""
        number = f"0x{self.value:08X}" if self.value > 0xFFFF else str(self.value)
        return f"{self.name} ({number})"
