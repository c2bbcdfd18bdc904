"""interopkit.com.capture: real proxies' bytes under Wine, beside the NDR model, and the replays;
``interopkit com ndr``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from interopkit.cli import main
from interopkit.com import capture as cap
from interopkit.com.capture import (
    BUILDS,
    KNOWN_DIFFERENCES,
    METHODS,
    Capture,
    Sweep,
    compare,
    hresult_name,
    parse_value,
    replay,
    stub_build,
    sweep,
)
from interopkit.errors import HostError, UsageError
from interopkit.kit import wine
from interopkit.kit.samples import BIN_DIR, sample_path
from interopkit.ndr.rules import transfer
from interopkit.sources import SOURCES

X86, X64, X64W = BUILDS


@pytest.fixture
def no_leftovers(wine32: None, no_wine_left: None) -> None:
    """Wine of both bitnesses; after the test, no Wine process of the kit's prefix is left."""


@pytest.fixture(scope="module")
def swept(wine32: None, wine_left_since: Callable[[set], set]) -> Sweep:
    """The whole sweep, once: every type and value through every build, and the replays."""
    before = set(wine.leftover_processes())
    found = sweep()
    left = wine_left_since(before)
    assert not left, f"Wine processes left running: {sorted(left)}"
    return found


def _capture(found: Sweep, dll: str, type_name: str, value: int) -> Capture:
    return next(c.capture for c in found.comparisons
                if (c.capture.build.dll, c.capture.type, c.capture.value) == (dll, type_name,
                                                                               value))


def test_every_case_agrees_with_the_model_or_is_a_listed_wine_difference(swept: Sweep) -> None:
    assert len(swept.comparisons) == len(BUILDS) * len(METHODS) * len(cap.VALUES)
    assert swept.unexplained == ()
    assert {c.difference for c in swept.comparisons} == {None, *KNOWN_DIFFERENCES}
    assert swept.agreeing >= len(swept.comparisons) // 2
    assert all(c.capture.platform.startswith("Wine ") for c in swept.comparisons)


@pytest.mark.parametrize(("dll", "type_name", "value", "wire"), [
    ("isampleps_x86.dll", "DWORD_PTR", 0x1_8000_0000, "00000080"),  # the sender's 32 bits
    ("isampleps_x64.dll", "DWORD_PTR", 0x1_8000_0000, "00000080"),  # __int3264: 4 bytes
    ("isampleps_x64.dll", "INT_PTR", 0xFFFF_FFFF_8000_0000, "00000080"),
    ("isampleps_x86.dll", "HANDLE_PTR", 0x1_8000_0000, "00000080"),
    ("isampleps_x64.dll", "HANDLE_PTR", 0x1_8000_0000, "00000080"),  # widl: no _WIN64
    ("isampleps_x64_win64.dll", "HANDLE_PTR", 0x1_8000_0000, "0000008001000000"),
    ("isampleps_x86.dll", "ULONG64", 0xFFFF_FFFF_8000_0000, "00000080ffffffff"),
])
def test_the_real_bytes(swept: Sweep, dll: str, type_name: str, value: int, wire: str) -> None:
    assert _capture(swept, dll, type_name, value).request_hex == wire


def test_the_proxy_marks_the_method_and_the_data_representation(swept: Sweep) -> None:
    first_echo = 8  # IUnknown's three, then Add, Checksum, Fill, PtrSize, ProcessId
    for c in swept.comparisons:
        real = c.capture
        assert real.imethod == 0x8000 | first_echo + list(METHODS).index(real.type)
        assert real.drep == 0x10 and real.call_hr == 0


def test_a_64_bit_stub_without_win64_reads_handle_ptr_in_4_bytes(swept: Sweep) -> None:
    real = _capture(swept, "isampleps_x64.dll", "HANDLE_PTR", 0x1_8000_0000)
    assert real.server_saw == 0x8000_0000
    assert compare(real).difference == "handle-ptr-without-win64"
    assert compare(_capture(swept, "isampleps_x64_win64.dll", "HANDLE_PTR", 0x1_8000_0000)).agree


def _replays(found: Sweep, type_name: str, sender: str, receiver: str, value: int) -> list:
    return [r for r in found.replays if (r.sent.type, r.sent.build.dll, r.replay.build.dll,
                                         r.sent.value) == (type_name, sender, receiver, value)]


def test_an_8_byte_handle_ptr_is_silently_misread_by_a_4_byte_stub(swept: Sweep) -> None:
    for receiver in ("isampleps_x86.dll", "isampleps_x64.dll"):
        (misread,) = _replays(swept, "HANDLE_PTR", "isampleps_x64_win64.dll", receiver,
                              0x1_8000_0000)
        assert misread.replay.request_hex == "0000008001000000"
        assert misread.replay.invoke_hr == 0 and misread.replay.error is None
        assert misread.replay.server_saw == 0x8000_0000  # the low half, and no error
    (to_32,) = _replays(swept, "HANDLE_PTR", "isampleps_x64_win64.dll", "isampleps_x86.dll",
                        0x1_8000_0000)
    assert to_32.lossy and to_32.agree  # documented: a 32-bit stub reads 4 bytes
    (to_64,) = _replays(swept, "HANDLE_PTR", "isampleps_x64_win64.dll", "isampleps_x64.dll",
                        0x1_8000_0000)
    # documented: a 64-bit stub reads 8 bytes; widl's stub without _WIN64 reads 4
    assert to_64.model_received == 0x1_8000_0000 and not to_64.lossy
    assert not to_64.agree and to_64.difference == "handle-ptr-without-win64"


def _sent(type_name: str, value: int, build: cap.StubBuild, wire: str) -> Capture:
    return Capture(type_name, value, build, wire, 0x8000, 0x10, None, 0, 0.0, "Wine 8.0, test")


@pytest.mark.parametrize(("type_name", "value", "sender", "receiver", "wire", "saw", "model",
                          "difference"), [
    # the model follows the documentation for the 64-bit stub without _WIN64 too: 8 bytes
    ("HANDLE_PTR", 0x1_8000_0000, X64W, X64, "0000008001000000", 0x8000_0000, 0x1_8000_0000,
     "handle-ptr-without-win64"),
    ("HANDLE_PTR", 0x1_8000_0000, X64W, X86, "0000008001000000", 0x8000_0000, 0x8000_0000,
     None),
    ("DWORD_PTR", 0x8000_0000, X86, X64, "00000080", 0xFFFF_FFFF_8000_0000, 0x8000_0000,
     "unsigned-int3264-sign-extended"),
    ("INT_PTR", 0x1_8000_0000, X64, X86, "00000080", 0xFFFF_FFFF_8000_0000,
     0xFFFF_FFFF_8000_0000, None),
])
def test_replays_are_scored_against_the_documentation_as_captures_are(
        type_name: str, value: int, sender: cap.StubBuild, receiver: cap.StubBuild, wire: str,
        saw: int, model: int, difference: str | None) -> None:
    got = cap.Replay(type_name, wire, receiver, 0, saw, 0.0, "Wine 8.0, test")
    scored = cap.compare_replay(_sent(type_name, value, sender, wire), got)
    assert scored.model_received == model
    assert scored.difference == difference
    assert scored.agree is (saw == model)


def test_4_bytes_where_a_win64_stub_wants_8_are_refused(swept: Sweep) -> None:
    (refused,) = _replays(swept, "HANDLE_PTR", "isampleps_x86.dll", "isampleps_x64_win64.dll",
                          0x1_8000_0000)
    assert refused.replay.error == "RPC_X_BAD_STUB_DATA (0x800706F7)"
    assert refused.replay.server_saw is None and refused.model_received is None
    assert refused.agree


def test_wine_sign_extends_an_unsigned_dword_ptr_where_the_documentation_zero_extends(
        no_leftovers: None) -> None:
    wine_64 = replay("DWORD_PTR", "00000080", 64)
    wine_32 = replay("DWORD_PTR", "00000080", 32)
    assert wine_64.server_saw == 0xFFFF_FFFF_8000_0000
    assert wine_32.server_saw == 0x8000_0000
    assert transfer("DWORD_PTR", 0x8000_0000, 32, 64).received == 0x8000_0000  # the model
    listed = KNOWN_DIFFERENCES["unsigned-int3264-sign-extended"]
    assert "MIDL-3264" in listed.documented_sources and "WINE-WIDL" in listed.wine_sources
    assert set(listed.documented_sources + listed.wine_sources) <= set(SOURCES)


def test_a_difference_is_claimed_only_when_wine_did_what_the_list_says() -> None:
    # No Wine needed: made-up captures that part from the model in an unlisted way.
    odd = Capture("DWORD_PTR", 0x8000_0000, X64, "00000080", 0x8008, 0x10, 0x1234, 0, 0.1, "x")
    assert compare(odd).difference is None and not compare(odd).agree
    assert Sweep((compare(odd),), (), 0.1).unexplained == (compare(odd),)
    listed = Capture("DWORD_PTR", 0x8000_0000, X64, "00000080", 0x8008, 0x10,
                     0xFFFF_FFFF_8000_0000, 0, 0.1, "x")
    assert compare(listed).difference == "unsigned-int3264-sign-extended"
    wrong_bytes = Capture("DWORD_PTR", 0x8000_0000, X64, "0000008000000000", 0x8008, 0x10,
                          0xFFFF_FFFF_8000_0000, 0, 0.1, "x")
    assert compare(wrong_bytes).difference is None


def test_names_and_bad_arguments() -> None:
    assert hresult_name(0x800706F7) == "RPC_X_BAD_STUB_DATA (0x800706F7)"
    assert hresult_name(0x12345678) == "0x12345678"
    assert stub_build(64, win64=True) is X64W and stub_build(32) is X86
    assert parse_value("-1") == 0xFFFF_FFFF_FFFF_FFFF and parse_value("0x80000000") == 1 << 31


def test_hex_that_is_not_hex_is_refused() -> None:
    with pytest.raises(UsageError, match="is not hex bytes"):
        replay("DWORD_PTR", "zz", 32)


def test_an_odd_number_of_hex_digits_is_refused() -> None:
    with pytest.raises(UsageError, match="is not hex bytes"):
        replay("DWORD_PTR", "000", 64)


def test_empty_bytes_are_refused() -> None:
    with pytest.raises(UsageError, match="is not 1 to 256 bytes"):
        replay("DWORD_PTR", "", 64)


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(UsageError, match="is not a type the capture tool sends"):
        cap.capture("PVOID", 1, 64)


def test_win64_in_a_32_bit_build_is_refused() -> None:
    with pytest.raises(UsageError, match="_WIN64 is defined only for 64-bit builds"):
        stub_build(32, win64=True)


def test_a_value_beyond_64_bits_is_refused() -> None:
    with pytest.raises(UsageError, match="does not fit 64 bits"):
        parse_value("0x1" + "0" * 16)


def test_a_missing_proxy_stub_dll_is_a_host_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(BIN_DIR / "comcapture_x64.exe", tmp_path)
    monkeypatch.setattr(cap, "BIN_DIR", tmp_path)
    with pytest.raises(HostError, match=r"isampleps_x64\.dll: is missing"):
        cap.capture("DWORD_PTR", 1, 64)


def _fake_bin(tmp_path: Path, dll: Path) -> Path:
    shutil.copy(BIN_DIR / "comcapture_x64.exe", tmp_path)
    shutil.copy(dll, tmp_path / "isampleps_x64.dll")
    return tmp_path


def test_a_dll_that_is_no_proxy_stub_is_named_by_the_tool(
        no_leftovers: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cap, "BIN_DIR", _fake_bin(tmp_path, sample_path("windows", "x64")))
    with pytest.raises(HostError, match="failed at GetProcAddress"):
        cap.capture("DWORD_PTR", 1, 64)


def test_a_proxy_stub_of_the_other_bitness_does_not_load(
        no_leftovers: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cap, "BIN_DIR", _fake_bin(tmp_path, BIN_DIR / "isampleps_x86.dll"))
    with pytest.raises(HostError, match=r"ERROR_BAD_EXE_FORMAT \(193\).*failed at LoadLibrary"):
        cap.replay("DWORD_PTR", "01000000", 64)


def test_the_tool_itself_refuses_bad_arguments(no_leftovers: None) -> None:
    dll = wine.windows_path(BIN_DIR / "isampleps_x64.dll")
    for args in (["replay", dll, "EchoIntPtr", "zz"], ["capture", dll, "Nothing", "1"],
                 ["capture", dll, "EchoIntPtr", "-1"], ["capture", dll, "EchoIntPtr"]):
        ran = wine.run(BIN_DIR / "comcapture_x64.exe", args, bits=64, timeout=60)
        assert ran.returncode == 2 and ran.stdout == "" and "usage" in ran.stderr


def test_cli_com_ndr_json(no_leftovers: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["com", "ndr", "HANDLE_PTR", "0x180000000", "--bitness", "64", "--win64",
                 "--json"]) == 0
    case = json.loads(capsys.readouterr().out)
    assert case["bytes_hex"] == case["model_hex"] == "0000008001000000"
    assert case["agree"] is True and case["known_difference"] is None
    assert case["platform"].startswith("Wine ") and "64-bit process" in case["platform"]
    assert "offset 0" in case["cut"] and case["dll"] == "isampleps_x64_win64.dll"
    assert main(["com", "ndr", "DWORD_PTR", "0x80000000", "--bitness", "64", "--json"]) == 0
    case = json.loads(capsys.readouterr().out)
    assert case["bytes_hex"] == case["model_hex"] == "00000080" and case["agree"] is False
    assert case["server_saw"] == "0xffffffff80000000"
    assert case["known_difference"]["key"] == "unsigned-int3264-sign-extended"


def test_cli_com_ndr_text(no_leftovers: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["com", "ndr", "INT_PTR", "-1", "--bitness", "32"]) == 0
    out = capsys.readouterr().out
    assert "real:  ffffffff" in out and "model: ffffffff" in out and "agree" in out


@pytest.mark.parametrize(("args", "message"), [
    (["FOO", "1", "--bitness", "32"], "is not a type the capture tool sends"),
    (["INT_PTR", "0xzz", "--bitness", "32"], "is not an integer"),
    (["HANDLE_PTR", "1", "--bitness", "32", "--win64"], "_WIN64 is defined only"),
])
def test_cli_com_ndr_bad_input_exits_2_with_one_line(
        args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["com", "ndr", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
