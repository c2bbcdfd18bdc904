"""``interopkit wine-setup``: the commands it runs or prints, and how it copes with apt."""

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from interopkit.cli import main
from interopkit.errors import HostError
from interopkit.kit import wine, winesetup

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

# apt's answers on a Debian 12 whose security index for i386 could not be read: the amd64
# GStreamer library came from bookworm-security, and bookworm offers i386 only its older version;
# the amd64 Brotli library installed is bookworm's, but apt's amd64 candidate is the security one.
APT = {
    "apt-cache depends": "wine32:i386\n  Depends: libc6:i386\nlibc6:i386\n"
                         "libgstreamer-plugins-base1.0-0:i386\nlibwine:i386\nlibbrotli1:i386\n",
    "dpkg-query": "libc6\t2.36-9+deb12u14\tsame\nlibbrotli1\t1.0.9-2+b6\tsame\n"
                  "libgstreamer-plugins-base1.0-0\t1.22.0-3+deb12u7\tsame\n"
                  "libwine\t8.0~repack-4\tsame\n",
    "apt-cache madison": (
        "     libc6 | 2.36-9+deb12u14 | http://deb.debian.org/debian bookworm/main amd64 Packages\n"
        "     libc6 | 2.36-9+deb12u14 | http://deb.debian.org/debian bookworm/main i386 Packages\n"
        " libgstreamer-plugins-base1.0-0 | 1.22.0-3+deb12u7 | http://deb.debian.org/debian-"
        "security bookworm-security/main amd64 Packages\n"
        " libgstreamer-plugins-base1.0-0 | 1.22.0-3+deb12u6 | http://deb.debian.org/debian "
        "bookworm/main amd64 Packages\n"
        " libgstreamer-plugins-base1.0-0 | 1.22.0-3+deb12u6 | http://deb.debian.org/debian "
        "bookworm/main i386 Packages\n"
        "   libwine | 8.0~repack-4 | http://deb.debian.org/debian bookworm/main amd64 Packages\n"
        "   libwine | 8.0~repack-4 | http://deb.debian.org/debian bookworm/main i386 Packages\n"
        "libbrotli1 | 1.0.9-2+deb12u1 | http://deb.debian.org/debian-security bookworm-security"
        "/main amd64 Packages\n"
        "libbrotli1 | 1.0.9-2+b6 | http://deb.debian.org/debian bookworm/main amd64 Packages\n"
        "libbrotli1 | 1.0.9-2+b6 | http://deb.debian.org/debian bookworm/main i386 Packages\n"),
}


def _recorded_apt(command: Sequence[str], timeout: float = 0) -> subprocess.CompletedProcess:
    if command[0] == "dpkg" and command[1] == "--compare-versions":
        older = command[2].endswith("u6") and command[4].endswith("u7")
        return subprocess.CompletedProcess(command, 0 if older else 1, "", "")
    key = next(k for k in APT if " ".join(command).startswith(k))
    return subprocess.CompletedProcess(command, 0, APT[key], "")


def test_the_readme_gives_the_exact_commands() -> None:
    for command in winesetup.COMMANDS:
        assert " ".join(command) in README
    assert "interopkit wine-setup" in README


def test_an_amd64_version_without_an_i386_twin_is_pinned_to_the_common_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(winesetup, "_run", _recorded_apt)
    assert winesetup.multiarch_pins("wine32:i386") == [
        "libbrotli1:amd64=1.0.9-2+b6", "libbrotli1:i386=1.0.9-2+b6",
        "libgstreamer-plugins-base1.0-0:amd64=1.22.0-3+deb12u6",
        "libgstreamer-plugins-base1.0-0:i386=1.22.0-3+deb12u6"]


def test_a_partial_update_and_a_version_skew_do_not_stop_the_setup(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[tuple[str, ...]] = []

    def apt(command: Sequence[str]) -> subprocess.CompletedProcess:
        ran.append(tuple(command))
        failed = command[:2] == ("apt-get", "update") or (
            command[:2] == ("apt-get", "install") and "--allow-downgrades" not in command)
        return subprocess.CompletedProcess(command, 100 if failed else 0, "",
                                           "E: Mirror sync in progress?" if failed else "")

    monkeypatch.setattr(winesetup, "can_install", lambda: "")
    monkeypatch.setattr(winesetup, "_apt", apt)
    monkeypatch.setattr(winesetup, "multiarch_pins",
                        lambda package: ["libx:amd64=1", "libx:i386=1"])
    report = winesetup.install()
    assert ran[:3] == list(winesetup.COMMANDS)
    assert ran[3][-2:] == ("libx:amd64=1", "libx:i386=1") and "--allow-downgrades" in ran[3]
    assert len(report.notes) == 2 and "Mirror sync" in report.notes[0]


def test_install_refuses_where_it_may_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEROPKIT_NO_INSTALL", "1")
    with pytest.raises(HostError, match="INTEROPKIT_NO_INSTALL is set.*dpkg --add-architecture"):
        winesetup.install()


def test_wine_setup_prints_the_commands_where_it_cannot_install(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INTEROPKIT_NO_INSTALL", "1")
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)
    assert main(["wine-setup"]) == 1
    out = capsys.readouterr().out
    assert "INTEROPKIT_NO_INSTALL" in out
    for command in winesetup.COMMANDS:
        assert f"    {' '.join(command)}\n" in out
    assert main(["wine-setup", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] is False and data["bits"] == data["ran"] == []
    assert data["install"] is None
    assert data["commands"] == [" ".join(c) for c in winesetup.COMMANDS]


def test_wine_setup_reports_the_prefix_it_measured(
        wine32: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wine-setup", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] is True and data["bits"] == data["ran"] == [32, 64]
    assert data["prefix"] == str(wine.prefix()) and data["prefix_bytes"] > 100_000_000
