"""Installing Wine for both bitnesses on Debian or Ubuntu: the commands, and running them.

``interopkit wine-setup`` runs them as root, or prints them for an administrator. Debian packs
32-bit Wine (``wine32``) for the i386 architecture, so the machine first learns that
architecture (``dpkg --add-architecture i386``, multiarch); ``wine64`` runs 64-bit EXEs and, with
``wine32`` beside it, 32-bit ones in the same WoW64 prefix.

Two things seen on a real Debian 12 are handled here:

* ``apt-get update`` may fail for one index only (the security archive's i386 list, "Mirror
  sync in progress?"). The main archive has every package Wine needs, so the setup goes on.
* Multiarch needs a library's i386 and amd64 copies at the same version (``Multi-Arch: same``).
  When an index could not be read for i386 only, apt sees newer amd64 versions than i386 ones
  and ``apt-get install`` refuses ("held broken packages"): either the amd64 copy installed came
  from that index (no i386 copy matches it), or only apt's amd64 *candidate* did (apt will not
  install an i386 copy out of step with the candidate, even when it matches the installed one).
  The setup then names both copies at the highest version both architectures offer (for the
  first case a downgrade of that library's amd64 copy, said so) and tries once more.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import HostError

__all__ = ["COMMANDS", "PACKAGES", "InstallReport", "SetupReport", "can_install", "install",
           "is_debian_like", "multiarch_pins", "setup"]

PACKAGES = ("wine", "wine32:i386", "wine64", "wine64-tools")
"""Debian's Wine for both bitnesses: the launcher, the 32-bit and 64-bit loaders, wineserver."""

_INSTALL = ("apt-get", "install", "-y", "--no-install-recommends")
COMMANDS = (("dpkg", "--add-architecture", "i386"), ("apt-get", "update"), (*_INSTALL, *PACKAGES))
"""The commands, in order, as root; ``apt-get update`` may fail for one index and the rest still
works (see the module's description)."""

_TIMEOUT = 1800.0  # 157 MB to download on a slow line
_LOCK = ("-o", "DPkg::Lock::Timeout=300")  # another apt-get may be running: wait for it


@dataclass(frozen=True)
class InstallReport:
    """What the setup did."""

    commands: tuple[tuple[str, ...], ...]
    """Every command run, in order."""
    seconds: float
    """Wall time of the whole setup."""
    notes: tuple[str, ...]
    """What went differently from the plain commands (a partial index, a downgrade)."""


@dataclass(frozen=True)
class SetupReport:
    """What ``interopkit wine-setup`` found and did."""

    install: InstallReport | None
    """The installation, or None when nothing was installed."""
    not_installed_because: str
    """Why the commands were printed instead of run ("" when they ran or were not needed)."""
    bits: tuple[int, ...]
    """The bitnesses Wine runs now: (32, 64) when the setup is complete."""
    version: str | None
    """Wine's version, or None when it is not installed."""
    prefix: str
    """The kit's Wine prefix."""
    prefix_built: str
    """Why the prefix was made or rebuilt now ("" when it was reused)."""
    prefix_seconds: float
    """How long making or checking the prefix took."""
    prefix_bytes: int
    """The prefix's size on disk, measured."""
    ran: tuple[int, ...]
    """The bitnesses whose probe really ran in the prefix, as a process of that bitness."""


def setup(progress: Callable[[str], None] = lambda line: None) -> SetupReport:
    """Install Wine for both bitnesses where this process may (else say why, for the caller to
    print ``COMMANDS``), then make or check the kit's prefix and measure it."""
    from interopkit.kit import wine

    def present() -> tuple[int, ...]:
        return tuple(bits for bits in (32, 64) if wine.find_wine(bits) is not None)

    done, why = None, ""
    if present() != (32, 64):
        why = can_install()
        if not why:
            done = install(progress)
            wine.version.cache_clear()
    bits = present()
    built, seconds, size = "", 0.0, 0
    if 64 in bits:
        built = wine.needs_build()
        start = time.monotonic()
        where = wine.ensure_prefix(progress)
        seconds = time.monotonic() - start
        size = _disk_usage(where)
    ran = tuple(b for b in bits if 64 in bits and _probe_runs(b))
    return SetupReport(done, why, bits, wine.version(), str(wine.prefix()), built, seconds, size,
                       ran)


def _probe_runs(bits: int) -> bool:
    """The kit's Windows probe of ``bits`` runs under Wine and reports that pointer size."""
    import json

    from interopkit.kit import wine
    from interopkit.kit.samples import probe_path

    probe = probe_path("probe_x86.exe" if bits == 32 else "probe_x64.exe")
    try:  # capped: Wine books every page a 64-bit probe reserves
        result = wine.run(probe, bits=bits, timeout=120, env={"INTEROPKIT_PROBE_CAP_GIB": "1"})
        return int(json.loads(result.stdout)["pointer_size"]) * 8 == bits
    except (HostError, ValueError, KeyError, TypeError):
        return False


def _disk_usage(folder: Path) -> int:
    """Bytes the folder's files take on disk (as ``du`` counts: allocated blocks, each file
    once)."""
    seen, total = set(), 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with suppress(OSError):
                info = os.lstat(os.path.join(root, name))
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    total += getattr(info, "st_blocks", 0) * 512 or info.st_size
    return total


def is_debian_like() -> bool:
    """True on Debian, Ubuntu and their derivatives (``/etc/os-release`` says so)."""
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    names = f"{fields.get('ID', '')} {fields.get('ID_LIKE', '')}".replace('"', "").split()
    return bool({"debian", "ubuntu"} & set(names))


def can_install() -> str:
    """"" when this process may install Wine, else why not (the caller prints the commands)."""
    if os.environ.get("INTEROPKIT_NO_INSTALL"):
        return "INTEROPKIT_NO_INSTALL is set"
    if not is_debian_like() or shutil.which("apt-get") is None:
        return "this is not Debian or Ubuntu (no apt-get)"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "installing needs root"
    return ""


def install(progress: Callable[[str], None] = lambda line: None) -> InstallReport:
    """Run ``COMMANDS`` as root; HostError naming the failing command and apt's last words."""
    why = can_install()
    if why:
        raise HostError("Wine", f"cannot be installed here: {why}",
                        "Run as root: " + " && ".join(" ".join(c) for c in COMMANDS))
    start, ran, notes = time.monotonic(), [], []
    for command in COMMANDS:
        progress(" ".join(command))
        done = _apt(command)
        ran.append(command)
        if done.returncode == 0:
            continue
        if command[:2] == ("apt-get", "update"):
            notes.append("apt-get update could not read every index (went on: the main "
                         f"archive has every package): {_tail(done.stderr)}")
            continue
        if command[:2] == ("apt-get", "install"):
            pins = multiarch_pins(PACKAGES[1])
            if pins:
                retry = (*_INSTALL, "--allow-downgrades", *PACKAGES, *pins)
                notes.append("the i386 and amd64 copies of some libraries differed in version "
                             "(an index could not be read): both installed at the version both "
                             "architectures offer: " + ", ".join(pins))
                progress(" ".join(retry))
                done = _apt(retry)
                ran.append(retry)
                if done.returncode == 0:
                    continue
        raise HostError(" ".join(ran[-1]), f"failed (status {done.returncode}): "
                        f"{_tail(done.stderr or done.stdout)}",
                        "Run the commands by hand to see apt's full message")
    return InstallReport(tuple(ran), time.monotonic() - start, tuple(notes))


def multiarch_pins(package: str) -> list[str]:
    """``name:amd64=version`` and ``name:i386=version`` for each ``Multi-Arch: same`` library
    that ``package`` (an i386 one) needs whose installed amd64 copy, or any amd64 version apt
    could pick, has no i386 twin: the highest version both architectures offer."""
    closure = _run(("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                    "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", package))
    names = sorted({line[:-5] for line in closure.stdout.splitlines()
                    if line.endswith(":i386") and not line.startswith(" ")})
    installed = {}  # one dpkg-query and one apt-cache for all of them: each call loads a cache
    query = _run(("dpkg-query", "-W", "-f=${Package}\t${Version}\t${Multi-Arch}\n",
                  *(f"{name}:amd64" for name in names)))
    for line in query.stdout.splitlines():
        name, version, multiarch = (line.split("\t") + ["", ""])[:3]
        if multiarch == "same":
            installed[name] = version
    offered = _offered(sorted(installed))
    pins: list[str] = []
    for name, version in installed.items():
        mine, theirs = offered.get((name, "i386"), []), offered.get((name, "amd64"), [])
        if version in mine and all(v in mine for v in theirs):
            continue
        common = [v for v in mine if v in theirs]
        if common:
            best = max(common, key=_VersionKey)
            pins += [f"{name}:amd64={best}", f"{name}:i386={best}"]
    return pins


def _offered(names: Sequence[str]) -> dict[tuple[str, str], list[str]]:
    """The versions the package indexes offer, per (name, architecture)."""
    found: dict[tuple[str, str], list[str]] = {}
    if not names:
        return found
    # Without ":i386", madison lists only the native architecture's versions (seen on Debian 12
    # with no i386 package installed yet), so both names are asked for.
    asked = [spelling for name in names for spelling in (name, f"{name}:i386")]
    for line in _run(("apt-cache", "madison", *asked)).stdout.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2].endswith(" Packages"):
            name = parts[0].split(":")[0]
            found.setdefault((name, parts[2].split()[-2]), []).append(parts[1])
    return found


class _VersionKey:
    """Orders Debian versions as dpkg does (``dpkg --compare-versions``)."""

    def __init__(self, version: str) -> None:
        self.version = version

    def __lt__(self, other: _VersionKey) -> bool:
        return _run(("dpkg", "--compare-versions", self.version, "lt",
                     other.version)).returncode == 0


def _apt(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    if command[0] == "apt-get":
        command = (command[0], *_LOCK, *command[1:])
    return _run(command, _TIMEOUT)


def _run(command: Sequence[str], timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout,
                              env=env, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise HostError(" ".join(command), f"did not finish within {timeout:g} s",
                        "Check the network and the package mirror, then run it again") from exc
    except OSError as exc:
        raise HostError(command[0], f"could not be started ({exc.strerror or exc})",
                        "Install Wine with your distribution's package manager") from exc


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[-400:]
