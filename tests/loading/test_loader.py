"""The loader model against tables typed in independently from ../shared/FACTS.md."""

import matplotlib
import pytest

from interopkit.images.inspection import inspect
from interopkit.images.machine import Machine
from interopkit.images.pewriter import write_image
from interopkit.kit.samples import sample_path
from interopkit.loading.loader import (
    Certainty,
    Host,
    ImageKind,
    ProcessKind,
    image_kind,
    load_outcome,
    matrix,
    process_on_host,
    start_outcome,
)
from interopkit.sources import SOURCES
from interopkit.winerror import WinError

matplotlib.use("Agg")

# FACTS.md section 2, "Loader matrix (Microsoft table)" [ARM64EC], Windows 11 on Arm.
ARM64EC_TABLE = {
    "x64": {"AMD64": True, "ARM64EC": True, "ARM64": False, "ARM64X": True},
    "arm64ec": {"AMD64": True, "ARM64EC": True, "ARM64": False, "ARM64X": True},
    "arm64": {"AMD64": False, "ARM64EC": False, "ARM64": True, "ARM64X": True},
}

# Which processes exist on which Windows [W64-IMPL] [ARM-EMU] [ARM64EC] [ARM32-DOC]: Windows 10
# on Arm emulates x86 only, ARM64EC is Windows 11 only, 32-bit Arm goes away in "a future
# release of Windows 11" (no release named).
EXISTS = {
    "win10-x64": {"x86", "x64"},
    "win11-x64": {"x86", "x64"},
    "win10-arm64": {"x86", "arm32", "arm64"},
    "win11-arm64": {"x86", "x64", "arm32", "arm64", "arm64ec"},
    "win11-arm64-no-arm32": {"x86", "x64", "arm64", "arm64ec"},
}

# A 32-bit process cannot load a 64-bit DLL for execution and the other way round [W64-RUN];
# the error is 193 [ERR0-499] [MSL-36].
CROSS_BITNESS = [("x86", "AMD64"), ("x86", "ARM64"), ("x64", "I386"), ("arm64", "I386"),
                 ("arm64", "ARMNT"), ("arm32", "ARM64"), ("x64", "ARMNT")]


@pytest.mark.parametrize("host", ["win11-arm64", "win11-arm64-no-arm32"])
@pytest.mark.parametrize("process", sorted(ARM64EC_TABLE))
@pytest.mark.parametrize("image", ["AMD64", "ARM64EC", "ARM64", "ARM64X"])
def test_microsofts_arm64ec_table(host: str, process: str, image: str) -> None:
    outcome = load_outcome(process, image, host)
    assert outcome.loads is ARM64EC_TABLE[process][image]
    assert outcome.certainty is Certainty.DOCUMENTED
    assert "ARM64EC" in outcome.sources
    if not outcome.loads:
        assert outcome.error is WinError.ERROR_BAD_EXE_FORMAT and "ARM64X" in outcome.remedy


@pytest.mark.parametrize("host", [h.value for h in Host])
@pytest.mark.parametrize("process", [p.value for p in ProcessKind])
def test_which_processes_exist(host: str, process: str) -> None:
    assert process_on_host(ProcessKind(process), Host(host)).ok is (process in EXISTS[host])


def test_arm32_removal_cites_what_each_source_says() -> None:
    rule = process_on_host(ProcessKind.ARM32, Host.WIN11_ARM64_NO_ARM32)
    assert rule.sources == ("ARM32-DOC", "PRESS-ARM32")
    assert "a future release of Windows 11" in rule.why and "names no release" in rule.why
    assert "24H2" not in rule.why and "24H2" not in Host.WIN11_ARM64_NO_ARM32.label


@pytest.mark.parametrize("host", [h.value for h in Host])
@pytest.mark.parametrize("process,image", CROSS_BITNESS)
def test_cross_bitness_fails_with_193(host: str, process: str, image: str) -> None:
    outcome = load_outcome(process, image, host)
    if process not in EXISTS[host]:
        assert not outcome.possible and not outcome.loads and outcome.error is None
        return
    assert (outcome.loads, outcome.error) == (False, WinError.ERROR_BAD_EXE_FORMAT)
    assert WinError.ERROR_EXE_MACHINE_TYPE_MISMATCH in outcome.alternatives  # UNVERIFIED which
    assert outcome.message("a.dll") == "a.dll is not a valid Win32 application."
    assert outcome.remedy


@pytest.mark.parametrize("host", [h.value for h in Host])
def test_data_files_load_across_bitness(host: str) -> None:
    for mode in ("datafile", "image_resource"):
        for row in matrix(host, mode):
            for outcome in row:
                assert outcome.loads is outcome.possible
                if outcome.possible:
                    assert "W64-RUN" in outcome.sources


@pytest.mark.parametrize("host", ["win10-x64", "win11-x64", "win10-arm64", "win11-arm64"])
def test_same_architecture_loads(host: str) -> None:
    assert load_outcome("x86", "I386", host).loads
    if "x64" in EXISTS[host]:
        assert load_outcome("x64", "AMD64", host).loads
    if "arm64" in EXISTS[host]:
        assert load_outcome("arm64", "ARM64", host).loads


def test_chpe_is_documented_for_windows_10_on_arm_only() -> None:
    assert load_outcome("x86", "CHPE_X86", "win10-arm64").certainty is Certainty.DOCUMENTED
    assert load_outcome("x86", "CHPE_X86", "win11-arm64").certainty is Certainty.UNVERIFIED
    assert not load_outcome("x86", "CHPE_X86", "win11-x64").loads


# FACTS.md section 3 [CORFLAGS] [CSC-PLATFORM] [BADIMG]
@pytest.mark.parametrize("process,image,loads", [
    ("x86", "NET-AnyCPU", True), ("x64", "NET-AnyCPU", True),
    ("x86", "NET-prefer-32", True), ("x64", "NET-prefer-32", False),
    ("x86", "NET-x86", True), ("x64", "NET-x86", False),
    ("x64", "NET-x64", True), ("x86", "NET-x64", False),
])
def test_dotnet_rules(process: str, image: str, loads: bool) -> None:
    outcome = load_outcome(process, image, "win11-x64")
    assert outcome.loads is loads
    if not loads:
        assert outcome.error is WinError.COR_E_BADIMAGEFORMAT and outcome.error.value == 0x8007000B
        assert "BADIMG" in outcome.sources


@pytest.mark.parametrize("exe,host,runs,how", [
    ("AMD64", "win11-x64", True, "native"),
    ("I386", "win11-x64", True, "WOW64"),
    ("I386", "win10-arm64", True, "WOW64 + x86 emulation"),
    ("AMD64", "win10-arm64", False, "not at all"),
    ("AMD64", "win11-arm64", True, "x64 emulation (no WOW64)"),
    ("ARM64", "win11-x64", False, "not at all"),
    ("ARMNT", "win10-arm64", True, "WOW64 (ARM32)"),
    ("ARMNT", "win11-arm64-no-arm32", False, "not at all"),
    ("ARM64EC", "win11-arm64", True, "ARM64EC"),
    ("NET-AnyCPU", "win11-x64", True, "native"),
    ("NET-prefer-32", "win11-x64", True, "WOW64"),
])
def test_starting_exes(exe: str, host: str, runs: bool, how: str) -> None:
    outcome = start_outcome(exe, host)
    assert (outcome.runs, outcome.how) == (runs, how)
    if not runs:
        assert outcome.error is WinError.ERROR_EXE_MACHINE_TYPE_MISMATCH
        assert WinError.ERROR_BAD_EXE_FORMAT in outcome.alternatives


def test_anycpu_exe_on_arm_is_unverified() -> None:
    assert start_outcome("NET-AnyCPU", "win11-arm64").certainty is Certainty.UNVERIFIED


def test_every_outcome_cites_known_sources_and_explains_itself() -> None:
    for host in Host:
        for row in matrix(host):
            for outcome in row:
                assert outcome.sources and set(outcome.sources) <= set(SOURCES)
                assert outcome.explanation
                assert bool(outcome.remedy) == (outcome.possible and not outcome.loads)
        for exe in ImageKind:
            assert set(start_outcome(exe, host).sources) <= set(SOURCES)


@pytest.mark.parametrize("arch,kind", [("x86", ImageKind.I386), ("x64", ImageKind.AMD64),
                                       ("arm64", ImageKind.ARM64)])
def test_image_kind_of_the_samples(arch: str, kind: ImageKind) -> None:
    assert image_kind(inspect(sample_path("windows", arch))) is kind


def test_image_kind_of_dotnet_images(tmp_path) -> None:
    anycpu = inspect(write_image(tmp_path / "a.dll", Machine.I386, clr_flags=0x1))
    prefer = inspect(write_image(tmp_path / "p.dll", Machine.I386, clr_flags=0x20003))
    assert image_kind(anycpu) is ImageKind.NET_ANYCPU
    assert image_kind(prefer) is ImageKind.NET_PREFER32


def test_image_kind_rejects_machines_windows_does_not_load(tmp_path) -> None:
    from interopkit.errors import ImageError

    with pytest.raises(ImageError, match="IA64"):
        image_kind(inspect(write_image(tmp_path / "i.dll", Machine.IA64)))


def test_unknown_mode_is_a_usage_error() -> None:
    from interopkit.errors import UsageError

    with pytest.raises(UsageError, match="is not a load mode"):
        load_outcome("x64", "AMD64", "win11-x64", mode="run")


@pytest.mark.parametrize("host", [h.value for h in Host])
def test_matrix_chart_draws_one_readable_windows_at_a_time(host: str) -> None:
    import matplotlib.pyplot as plt

    from interopkit.lessons.cross_bitness_loading import draw_load_matrix

    ax = draw_load_matrix(host)
    assert ax.get_title().startswith(Host(host).label)
    rows = [label.get_text().removesuffix(" process") for label in ax.get_yticklabels()]
    assert rows == [p for p in (k.value for k in ProcessKind) if p in EXISTS[host]]
    assert len(ax.patches) == len(rows) * len(ImageKind)
    assert min(t.get_fontsize() for t in ax.texts) >= 12  # readable on a projector
    assert min(label.get_fontsize() for label in ax.get_xticklabels()) >= 12
    if host == "win11-x64":
        assert [t.get_text() for t in ax.texts][:2] == ["yes", "193"]  # x86: I386, AMD64
    plt.close(ax.figure)


def test_image_kind_of_constructed_hybrids(tmp_path) -> None:
    arm64ec = inspect(write_image(tmp_path / "ec.dll", Machine.AMD64, hybrid=True))
    arm64x = inspect(write_image(tmp_path / "x.dll", Machine.ARM64, hybrid=True))
    assert image_kind(arm64ec) is ImageKind.ARM64EC and image_kind(arm64x) is ImageKind.ARM64X
    assert load_outcome("x64", image_kind(arm64ec), "win11-arm64").loads
    assert not load_outcome("arm64", image_kind(arm64ec), "win11-arm64").loads
    assert load_outcome("arm64", image_kind(arm64x), "win11-arm64").loads
