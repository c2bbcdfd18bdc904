"""Real 32-bit and 64-bit probe processes, and their address spaces."""

import matplotlib
import pytest

from interopkit.errors import HostError
from interopkit.kit.host import can_run_x86_32, host_info
from interopkit.wow64.measure import GIB, WOW64_LIMITS, measure, measure_both

matplotlib.use("Agg")

x86_host = pytest.mark.skipif(host_info().cpu != "x86_64" or host_info().os not in (
    "linux", "windows"), reason="the probes are x86 programs for Linux and Windows")


@x86_host
def test_the_64_bit_probe_reaches_terabytes() -> None:
    space = measure_both()[-1]
    assert space.pointer_size == 8 and space.bits == 64
    assert space.reserved_bytes > 1024 * GIB  # terabytes of address space, untouched
    assert space.highest_address >= 2**40
    assert 0 < space.code_address < 2**48 and space.stack_address > space.code_address
    assert space.syscall_abi


@x86_host
def test_the_32_bit_probe_reaches_close_to_4_gib() -> None:
    run = can_run_x86_32()
    if not run.ran:
        pytest.skip(f"this machine cannot run 32-bit x86 processes: {run.detail}")
    space = measure_both()[0]
    assert space.pointer_size == 4 and space.arch in ("i386", "x86")
    # A 32-bit process on a 64-bit kernel gets nearly all of its 4 GiB (Linux) or 2 or 4 GB
    # under WOW64; either way more than 1.5 GiB and never beyond 4 GiB.
    assert 1.5 * GIB < space.reserved_bytes <= 4 * GIB
    assert space.highest_address < 2**32
    for address in (space.code_address, space.stack_address, space.heap_address):
        assert address < 2**32


def test_documented_limits() -> None:
    assert sorted(WOW64_LIMITS.values()) == [2 * GIB, 4 * GIB]


def test_a_probe_that_cannot_run_is_a_host_error(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path) -> None:
    monkeypatch.setattr("interopkit.kit.samples.BIN_DIR", tmp_path)
    with pytest.raises(HostError, match="did not run"):
        measure("probe-i386")


@x86_host
def test_address_space_chart() -> None:
    from interopkit.lessons.wow64 import draw_address_spaces

    spaces = measure_both()
    ax = draw_address_spaces(spaces)
    assert len(ax.patches) == len(spaces)  # one bar per process
    assert [p.get_width() for p in ax.patches] == [s.reserved_bytes for s in spaces]
    assert ax.get_xscale() == "log"
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "2 GiB (W64-PERF)" in labels and "4 GiB (W64-PERF)" in labels


def test_layers_are_drawn_from_the_data() -> None:
    from interopkit.lessons.wow64 import draw_wow64_layers
    from interopkit.wow64.measure import LAYERS

    axes = draw_wow64_layers()
    assert len(axes) == len(LAYERS)
    for ax, layers in zip(axes, LAYERS.values()):
        assert len(ax.patches) == len(layers)
        names = [t.get_text() for t in ax.texts]
        assert all(layer.name in names for layer in layers)
    assert not any("wow64base" in layer.name for layers in LAYERS.values() for layer in layers)


class FakeWinreg:
    """The three winreg calls registry_views makes, for a key only the 32-bit view has."""

    HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_64KEY, KEY_WOW64_32KEY = 1, 0x20019, 0x100, 0x200

    class Handle:
        def __enter__(self):
            return self

        def __exit__(self, *args: object) -> None:
            return None

    def OpenKey(self, hive: int, path: str, reserved: int, access: int):
        if access & self.KEY_WOW64_32KEY:
            return self.Handle()
        raise FileNotFoundError(2, "The system cannot find the file specified")

    def QueryInfoKey(self, handle: object) -> tuple[int, int, int]:
        return (3, 0, 0)


def test_registry_views_code_path() -> None:
    from interopkit.wow64.measure import registry_views

    views = dict(registry_views("HKLM\\SOFTWARE\\Vendor", FakeWinreg()))
    assert views["KEY_WOW64_32KEY"] == "opened: 3 subkeys"
    assert views["default"].startswith("not found")


def test_registry_views_need_windows() -> None:
    from interopkit.wow64.measure import registry_views

    if host_info().os == "windows":
        pytest.skip("this is the Windows machine")
    with pytest.raises(HostError, match="exists only on Windows"):
        registry_views("HKLM\\SOFTWARE")


@x86_host
def test_probes_list_a_folder(tmp_path) -> None:
    from interopkit.wow64.measure import list_folder

    for name in ("a.dll", 'quote".txt', "b.exe"):
        (tmp_path / name).write_text("x")
    probe = "probe-x86_64" if host_info().os == "linux" else "probe_x64.exe"
    listing = list_folder(probe, str(tmp_path))
    assert listing.found and listing.entries == ("a.dll", "b.exe", 'quote".txt')
    assert not list_folder(probe, str(tmp_path / "missing")).found


@x86_host
def test_the_cap_is_honoured() -> None:
    probe = "probe-x86_64" if host_info().os == "linux" else "probe_x64.exe"
    space = measure(probe, cap_gib=2)
    assert space.cap_bytes == 2 * GIB and space.reserved_bytes <= 2 * GIB
