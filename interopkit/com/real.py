"""Real COM across bitness: the kit's COM server hosted by COM's own surrogate, dllhost.exe.

The sample library, wrapped as an in-process COM server (``interopkit/csrc/com/server.c``,
class ``Sample``, interface ``ISample`` from ``isample.idl``), is registered from the model
(``interopkit.com.registry``: the CLSID in its bitness's view, an AppID with a
``DllSurrogate`` value, the proxy/stub in the views asked for). A client of the other bitness
(``comclient_x86.exe`` or ``comclient_x64.exe``) calls ``CoCreateInstance``; COM starts
dllhost.exe of the server's bitness, which loads the DLL, and every call is marshaled by the
proxy/stub DLLs that widl made from the same IDL. The client measures the server from inside
(its pointer size) and from outside (the surrogate's image and bitness), and times the calls.

On Linux this runs under Wine, a real implementation of COM that is not Windows; every result
names its platform. On Windows it runs against Windows itself, registered per user
(HKEY_CURRENT_USER, no administrator; COM reads it merged over HKLM's classes, except in a
process run as administrator with UAC off: HKCR-MERGED): written, but untested here. The
registration is removed after every run, even a failed one, and the prefix's processes
(dllhost included) end with it.

Where Wine parts from Windows, the kit says so and cites Wine's source (WINE-COMBASE), as
measured here with Wine 8.0. With an empty ``DllSurrogate`` Wine starts the dllhost of the
view opposite to the client's: syswow64's for a 64-bit client, whatever the server's bitness,
so a 64-bit client of a 64-bit server gets E_NOINTERFACE (the 32-bit dllhost cannot load the
DLL and exits). Naming the 64-bit dllhost in ``DllSurrogate`` works around it, so ``recipe``
does that for that one pairing under Wine only; ``FAILURES`` shows the bug. Wine also ignores
CLSCTX_ACTIVATE_32/64_BIT_SERVER, and ``CoCreateInstance`` waits a whole second after starting
a surrogate: the ~1 s activation measured under Wine is Wine's fixed wait, not the cost of
starting a process.

Runs are serialised per prefix (a lock file beside it): two runs registering the same class
at once would remove each other's registration.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from interopkit.com.registry import (
    CLSCTX,
    Activation,
    ComClass,
    ProxyStub,
    activate,
    reg_file,
    unregister_file,
)
from interopkit.errors import HostError, SurrogateError, UsageError
from interopkit.kit import wine
from interopkit.kit.samples import probe_path
from interopkit.kit.winprobe import batch as _session
from interopkit.kit.winprobe import native_path, platform, run_exe
from interopkit.winerror import WinError

__all__ = ["ISAMPLE_IID", "SAMPLE_CLSID", "WINE_DLLHOST64", "ComRun", "Setup", "Surrogate",
           "demo", "failures", "hresult_name", "platform", "recipe", "register", "run",
           "timed_run", "unregister"]

SAMPLE_CLSID = "{AC986C61-70B2-403C-B096-C720584D10FC}"
"""Class Sample (isample.idl); its AppID is the same GUID, as COM-SURRREG suggests."""
ISAMPLE_IID = "{51B1E380-036A-4485-8D58-3EC637B50E19}"
"""Interface ISample; also its proxy/stub's CLSID (MIDL's default)."""
WINE_DLLHOST64 = "C:\\windows\\system32\\dllhost.exe"
"""The 64-bit dllhost of a Wine prefix, named in DllSurrogate to work around Wine 8's bug."""

_ON_WINDOWS = sys.platform == "win32"
_TIMEOUT = 90.0  # CoCreateInstance alone takes 1-2 s under Wine; a busy classroom server more


@dataclass(frozen=True)
class Setup:
    """One registration of the sample server: what is there, and what is left out."""

    server_bits: int
    """32 or 64: which server DLL is registered, in that bitness's view."""
    appid: bool = True
    """The CLSID has an AppID value (and the AppID key exists)."""
    dll_surrogate: str | None = ""
    """DllSurrogate under the AppID: "" for the system's dllhost, a path, or None for none."""
    proxy_bits: tuple[int, ...] = (32, 64)
    """The views where ISample's proxy/stub is registered."""

    def __post_init__(self) -> None:
        if self.server_bits not in (32, 64) or not set(self.proxy_bits) <= {32, 64}:
            raise UsageError(f"server_bits={self.server_bits}, proxy_bits={self.proxy_bits}",
                             "are not 32 or 64", "Give 32 or 64")

    def classes(self) -> list[ComClass]:
        """The model's CLSID registration."""
        arch = "x86" if self.server_bits == 32 else "x64"
        return [ComClass(SAMPLE_CLSID, native_path(probe_path(f"comserver_{arch}.dll")),
                         self.server_bits, appid=SAMPLE_CLSID if self.appid else None,
                         dll_surrogate=self.dll_surrogate)]

    def stubs(self) -> list[ProxyStub]:
        """The model's proxy/stub registrations."""
        return [ProxyStub(ISAMPLE_IID, "ISample", native_path(
            probe_path(f"isampleps_{'x86' if bits == 32 else 'x64'}.dll")), bits)
            for bits in sorted(self.proxy_bits)]


def recipe(server_bits: int, client_bits: int) -> Setup:
    """The registration that works: the server in its view, an AppID with an empty
    DllSurrogate, and the proxy/stub in both views (COM-SURRREG, W64-IPC). Under Wine, a 64-bit
    client of a 64-bit server names the 64-bit dllhost instead (Wine's bug: see above)."""
    wine_bug = server_bits == client_bits == 64 and not _ON_WINDOWS
    return Setup(server_bits, dll_surrogate=WINE_DLLHOST64 if wine_bug else "")


@dataclass(frozen=True)
class Surrogate:
    """The process that hosts the server, as the client sees it from outside."""

    image: str
    """Its executable's path as Windows names it (QueryFullProcessImageNameW)."""
    bits: int
    """32 or 64 (IsWow64Process)."""


@dataclass(frozen=True)
class ComRun:
    """One client run: activation, the first calls, and the timed ones."""

    platform: str
    """Where it ran: ``Wine 8.0 (Debian ...), 64-bit process`` (Wine is not Windows) or
    ``Windows 10.0..., 64-bit process``, as ``interopkit.kit.winprobe`` labels its runs."""
    client_bits: int
    """The client process's bitness."""
    clsctx: int
    """The CLSCTX flags CoCreateInstance was given."""
    setup: Setup
    """The registration in force."""
    create_hr: int
    """CoCreateInstance's HRESULT (0 is S_OK)."""
    create_ms: float
    """How long CoCreateInstance took, measured in the client."""
    add: int | None = None
    """Add(2, 3) computed in the server, or None when there was no object."""
    ptr_size: int | None = None
    """sizeof(void *) measured inside the server."""
    surrogate: Surrogate | None = None
    """The server's process seen from outside."""
    call_us: tuple[float, ...] = ()
    """Every timed Add call, in microseconds."""
    echo: tuple[dict[str, str], ...] = ()
    """Per value sent: what the server received for each pointer-sized type (64-bit hex)."""
    hr: int = 0
    """The first failing call's HRESULT, 0 when every call succeeded."""
    model: Activation | None = field(default=None, compare=False)
    """What the registry model says CoCreateInstance does with this registration."""

    @property
    def created(self) -> bool:
        """True when CoCreateInstance returned an object."""
        return self.create_hr == 0

    @property
    def median_call_us(self) -> float | None:
        """The median of the timed calls, or None when none was timed."""
        return statistics.median(self.call_us) if self.call_us else None

    def error(self) -> SurrogateError | None:
        """The kit's error for a failed activation or call (the HRESULT and a remedy), or None
        when everything succeeded."""
        code = self.create_hr or self.hr
        if not code:
            return None
        stage = "CoCreateInstance" if self.create_hr else "a call on the object"
        try:
            known: WinError | None = WinError(code)
        except ValueError:
            known = None
        return SurrogateError(
            f"{stage} of the {self.setup.server_bits}-bit Sample server from a "
            f"{self.client_bits}-bit client ({self.platform})",
            f"failed with {hresult_name(code)}"
            + (f" ({known.phrase})" if known is not None else ""),
            _REMEDIES.get(code, "Run interopkit doctor, then interopkit com demo again"),
            code=known)

    def to_json(self) -> dict:
        """The fields ``interopkit com demo --json`` prints."""
        return {
            "platform": self.platform, "client_bits": self.client_bits,
            "server_bits_registered": self.setup.server_bits, "clsctx": self.clsctx,
            "dll_surrogate": self.setup.dll_surrogate,
            "ptr_size": self.ptr_size, "add": self.add,
            "surrogate": ({"image": self.surrogate.image, "bits": self.surrogate.bits}
                          if self.surrogate else None),
            "hresults": {"CoCreateInstance": hresult_name(self.create_hr),
                         "calls": hresult_name(self.hr)},
            "create_ms": round(self.create_ms, 1), "calls": len(self.call_us),
            "median_call_us": self.median_call_us,
            "model": (None if self.model is None else {
                "succeeded": self.model.succeeded, "how": self.model.how,
                "server_bits": self.model.server_bits,
                "hresult": None if self.model.hresult is None
                else hresult_name(self.model.hresult),
                "reason": self.model.reason, "derived": self.model.derived}),
        }


_REMEDIES = {
    WinError.REGDB_E_CLASSNOTREG: "The class, or its interface's proxy/stub, is not registered "
    "in the view the process reads: cross-bitness COM needs the proxy/stub in both views "
    "(interopkit com register writes the whole recipe)",
    WinError.REGDB_E_KEYMISSING: "Surrogate activation needs an AppID value on the CLSID and a "
    "DllSurrogate value under that AppID (empty for the system's dllhost)",
    WinError.E_NOINTERFACE: "Register the interface's proxy/stub in both views; under Wine, a "
    "64-bit client of a 64-bit server also needs DllSurrogate to name the 64-bit dllhost",
    WinError.CO_E_SERVER_EXEC_FAILURE: "The surrogate could not start or could not load the DLL:"
    " check the DLL's path and that its bitness matches the view it is registered in",
    WinError.E_INVALIDARG: "Ask for at most one of CLSCTX_ACTIVATE_32_BIT_SERVER and "
    "CLSCTX_ACTIVATE_64_BIT_SERVER",
}


def hresult_name(code: int) -> str:
    """``S_OK``, ``E_NOINTERFACE (0x80004002)``... or the bare hex of an unnamed code."""
    if code == 0:
        return "S_OK"
    try:
        return WinError(code).describe()
    except ValueError:
        return f"0x{code:08X}"


def register(setup: Setup) -> None:
    """Write ``setup``'s registration: into the kit's Wine prefix with the 64-bit regedit (which
    sees Wow6432Node as the 32-bit view), or on Windows into HKEY_CURRENT_USER."""
    _import_reg(reg_file(setup.classes(), setup.stubs(), per_user=_ON_WINDOWS), "register")


def unregister(setup: Setup) -> None:
    """Remove every key ``register`` writes for ``setup`` (and whatever is below them)."""
    _import_reg(unregister_file(setup.classes(), setup.stubs(), per_user=_ON_WINDOWS),
                "unregister")


def run(client_bits: int, setup: Setup, clsctx: int = CLSCTX.LOCAL_SERVER, *, calls: int = 0,
        echo: Sequence[int] = (), timeout: float = _TIMEOUT) -> ComRun:
    """Register ``setup``, run the client of ``client_bits`` (``calls`` timed calls; each value
    of ``echo`` sent through every Echo method), and remove the registration, whatever
    happens. Under Wine the prefix's processes, dllhost included, end afterwards."""
    if client_bits not in (32, 64):
        raise UsageError(f"--client {client_bits}", "is not 32 or 64", "Give 32 or 64")
    if not 0 <= calls <= 100_000:
        raise UsageError(f"--calls {calls}", "is not between 0 and 100000", "Give fewer calls")
    args = ["--calls", str(calls)]
    for value in echo:
        if not 0 <= value < 1 << 64:
            raise UsageError(f"echo value {value:#x}", "does not fit in 64 bits",
                             "Give a value from 0 to 0xffffffffffffffff")
        args += ["--echo", f"0x{value:x}"]
    return _registered_run(client_bits, setup, int(clsctx), args, timeout)[0]


def demo(client_bits: int, server_bits: int, calls: int = 0,
         echo: Sequence[int] = ()) -> ComRun:
    """The recipe for real: a client of ``client_bits`` activates the ``server_bits`` server
    with CLSCTX_LOCAL_SERVER and calls it."""
    if server_bits not in (32, 64):
        raise UsageError(f"--server {server_bits}", "is not 32 or 64", "Give 32 or 64")
    return run(client_bits, recipe(server_bits, client_bits), calls=calls, echo=echo)


def timed_run(client_bits: int, server_bits: int, args: Sequence[str],
              timeout: float = _TIMEOUT) -> tuple[ComRun, dict]:
    """``demo`` with the client's own extra arguments (the benchmark's ``--payload`` and
    ``--cap-ms``: ``interopkit.bench.realcom``); also gives the client's whole JSON report."""
    import json

    done, report = _registered_run(client_bits, recipe(server_bits, client_bits),
                                   int(CLSCTX.LOCAL_SERVER), list(args), timeout)
    return done, json.loads(report.strip().splitlines()[-1])


FAILURES: tuple[tuple[str, int, Setup, int], ...] = (
    ("CLSCTX_INPROC_SERVER from the other bitness", 64, Setup(32), CLSCTX.INPROC_SERVER),
    ("no AppID on the CLSID", 64, Setup(32, appid=False), CLSCTX.LOCAL_SERVER),
    ("no DllSurrogate under the AppID", 64, Setup(32, dll_surrogate=None), CLSCTX.LOCAL_SERVER),
    ("the 64-bit proxy/stub not registered", 64, Setup(32, proxy_bits=(32,)),
     CLSCTX.LOCAL_SERVER),
    ("CLSCTX_ACTIVATE_32_BIT_SERVER, 32-bit server registered", 64, Setup(32),
     CLSCTX.LOCAL_SERVER | CLSCTX.ACTIVATE_32_BIT_SERVER),
    ("CLSCTX_ACTIVATE_64_BIT_SERVER, only a 32-bit server registered", 64, Setup(32),
     CLSCTX.LOCAL_SERVER | CLSCTX.ACTIVATE_64_BIT_SERVER),
    ("both ACTIVATE flags at once", 64, Setup(32),
     CLSCTX.LOCAL_SERVER | CLSCTX.ACTIVATE_32_BIT_SERVER | CLSCTX.ACTIVATE_64_BIT_SERVER),
    ("64-bit client, 64-bit server, empty DllSurrogate (a Wine bug)", 64, Setup(64),
     CLSCTX.LOCAL_SERVER),
)
"""The ways the recipe fails, and the flags that pick a server's bitness: title, client
bitness, registration, CLSCTX. Each run carries the model's answer beside the real one."""


def failures(progress: Callable[[str], None] = lambda line: None) -> list[tuple[str, ComRun]]:
    """Every case of ``FAILURES``, for real, in one Wine session (each registers and removes
    its own registration)."""
    results = []
    with _session():
        for title, client_bits, setup, clsctx in FAILURES:
            progress(title)
            results.append((title, run(client_bits, setup, clsctx)))
    return results


# -- the machinery ----------------------------------------------------------------------------


def _registered_run(client_bits: int, setup: Setup, clsctx: int, args: list[str],
                    timeout: float) -> tuple[ComRun, str]:
    """Register ``setup``, run the client with ``clsctx`` and ``args``, remove the registration
    whatever happens; the run and the client's report (HostError when there is none)."""
    model = activate(setup.classes(), SAMPLE_CLSID, clsctx, client_bits, setup.proxy_bits)
    with _one_at_a_time(), _session():
        register(setup)
        try:
            report = _client(client_bits, ["--clsctx", f"0x{clsctx:x}", *args], timeout)
        finally:
            unregister(setup)
    return _parse(report, client_bits, clsctx, setup, model), report


def _one_at_a_time() -> AbstractContextManager[object]:
    """Every run registers the same CLSID, so one run's unregister would pull the registration
    from under another's activation: runs in one Wine prefix take turns."""
    return nullcontext() if _ON_WINDOWS else wine.one_at_a_time("com")


def _import_reg(text: str, what: str) -> None:
    """Import a .reg file with the 64-bit registry editor (silently)."""
    handle, name = tempfile.mkstemp(prefix="interopkit-com-", suffix=".reg")
    try:
        with os.fdopen(handle, "w", encoding="utf-16", newline="") as file:
            file.write(text)  # regedit reads UTF-16 .reg files, as it writes them
        if _ON_WINDOWS:
            done = subprocess.run(["reg", "import", name, "/reg:64"], capture_output=True,
                                  text=True, timeout=60, check=False)
            code, err = done.returncode, done.stderr
        else:
            for _attempt in range(3):  # Wine's regedit failed (status 1, no message) 1 in ~50
                ran = wine.run("regedit", ["/S", wine.windows_path(name)], bits=64, timeout=60)
                code, err = ran.returncode, ran.stderr
                if code == 0:
                    break
    except subprocess.TimeoutExpired as exc:
        raise HostError("reg import", "did not finish within 60 s", "Try again") from exc
    finally:
        Path(name).unlink(missing_ok=True)
    if code != 0:
        raise HostError(f"{what} (regedit /S)", f"failed with status {code}: {err.strip()[-300:]}",
                        "Run interopkit doctor to check Wine's prefix")


def _client(bits: int, args: list[str], timeout: float) -> str:
    exe = probe_path(f"comclient_{'x86' if bits == 32 else 'x64'}.exe")
    return run_exe(exe, args, bits=bits, timeout=timeout,
                   remedy="Check for a dllhost.exe left hanging in Task Manager").stdout


def _parse(report: str, client_bits: int, clsctx: int, setup: Setup,
           model: Activation) -> ComRun:
    import json

    try:
        data = json.loads(report.strip().splitlines()[-1])
        server = data.get("server_image")
        return ComRun(
            platform(client_bits), client_bits, clsctx, setup, int(data["create_hr"]),
            float(data["create_us"]) / 1000, data.get("add"), data.get("ptr_size"),
            Surrogate(server, int(data["server_bits"])) if server else None,
            tuple(float(t) for t in data.get("call_us", ())),
            tuple(data.get("echo", ())), int(data.get("hr", 0)), model)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise HostError(f"the {client_bits}-bit COM client", f"printed no report ({exc}): "
                        f"{report.strip()[-300:]!r}",
                        "Run interopkit doctor; rebuild with python -m interopkit.build") from exc
