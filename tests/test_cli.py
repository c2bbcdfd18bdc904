import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXPECTED_SAMPLES

from interopkit.cli import format_table, main
from interopkit.kit.samples import SAMPLES_DIR, sample_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "interopkit", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_inspect_json_names_machine_and_bits_of_all_six_samples() -> None:
    paths = [str(sample_path(*key)) for key in EXPECTED_SAMPLES]
    result = run("inspect", "--json", *paths)
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    for entry, key in zip(entries, EXPECTED_SAMPLES):
        fmt, machine, bits, kind = EXPECTED_SAMPLES[key]
        assert (entry["format"], entry["machine"], entry["bits"], entry["kind"]) == (
            fmt, machine, bits, kind)
        assert entry["path"] == str(sample_path(*key))


@pytest.mark.parametrize("name", ["truncated_pe", "random", "folder", "empty", "missing"])
def test_inspect_bad_input_exits_non_zero_with_one_line(broken: dict[str, Path],
                                                        name: str) -> None:
    result = run("inspect", "--json", str(broken[name]))
    assert result.returncode == 1
    assert json.loads(result.stdout) == []
    assert result.stderr.startswith("interopkit: ") and result.stderr.count("\n") == 1
    assert str(broken[name]) in result.stderr and "Traceback" not in result.stderr


def test_inspect_mixed_good_and_bad(broken: dict[str, Path],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(sample_path("windows", "x86")), str(broken["random"])]) == 1
    out, err = capsys.readouterr()
    assert "sample_x86.dll" in out and "I386" in out and "random.dll" in err


def test_scan_json_summary() -> None:
    result = run("scan", "--json", str(SAMPLES_DIR))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["by_machine"] == {"AMD64": 2, "ARM64": 2, "I386": 2}
    assert data["files_seen"] == 7  # six samples and the manifest


def test_scan_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(SAMPLES_DIR)]) == 0
    assert "6 images in 7 files: AMD64 2, ARM64 2, I386 2" in capsys.readouterr().out


def test_doctor_json() -> None:
    result = run("doctor", "--json")
    data = json.loads(result.stdout)
    assert data["host"]["process_bits"] == 64 or data["host"]["process_bits"] == 32
    assert {"name", "ok", "required", "detail", "remedy"} <= set(data["checks"][0])
    failed_required = [c for c in data["checks"] if c["required"] and not c["ok"]]
    assert result.returncode == (1 if failed_required else 0)


def test_wrong_arguments_exit_2() -> None:
    assert run("inspect").returncode == 2
    assert run("frobnicate").returncode == 2


def test_format_table() -> None:
    assert format_table(["a", "bb"], [[1, "x"], [333, "yy"]]).splitlines() == [
        "a    bb", "---  --", "1    x", "333  yy"]


@pytest.mark.parametrize("arch,loads,error", [("x86", False, 193), ("arm64", False, 193),
                                               ("x64", True, None)])
def test_can_load_answers_for_the_samples(arch: str, loads: bool, error: int | None) -> None:
    result = run("can-load", str(sample_path("windows", arch)), "--process", "x64", "--json")
    data = json.loads(result.stdout)
    assert (data["loads"], data["error"]) == (loads, error)
    assert result.returncode == (0 if loads else 1)
    assert {"error_name", "reason", "remedy", "certainty", "sources"} <= set(data)
    if not loads:
        assert data["error_name"] == "ERROR_BAD_EXE_FORMAT" and data["remedy"]


def test_can_load_try_shows_the_real_loader_beside_the_model() -> None:
    result = run("can-load", str(sample_path("windows", "x86")), "--process", "x64", "--json",
                 "--try")
    real = json.loads(result.stdout)["real"]
    if sys.platform.startswith("linux"):
        assert real["attempted"] and real["path"].endswith("libsample_i386.so")
        assert not real["loaded"] and "ELFCLASS32" in real["message"]


def test_can_load_text_and_data_mode(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(sample_path("windows", "x86"))
    assert main(["can-load", path, "--process", "x64", "--mode", "datafile"]) == 0
    assert main(["can-load", path, "--process", "arm64", "--host", "win11-x64"]) == 1
    out = capsys.readouterr().out
    assert "loads" in out and "cannot exist on that Windows" in out


def test_check_finds_the_wrong_dll(tmp_path: Path) -> None:
    import shutil

    from interopkit.images.machine import Machine
    from interopkit.images.pewriter import write_image

    shutil.copy(sample_path("windows", "x86"), tmp_path / "old.dll")
    shutil.copy(sample_path("windows", "x64"), tmp_path / "new.dll")
    app = write_image(tmp_path / "app.exe", Machine.AMD64, dll=False,
                      imports={"old.dll": ["add"], "new.dll": ["add"]})
    result = run("check", str(app), "--json", "--host", "win11-x64")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    entries = {d["name"]: d for d in data["dlls"]}
    assert entries["old.dll"]["loads"] is False and entries["old.dll"]["error"] == 0xC000007B
    assert entries["new.dll"]["loads"] is True and entries["new.dll"]["error"] is None
    for entry in data["dlls"]:
        assert {"name", "path", "loads", "error", "reason"} <= set(entry)
    text = run("check", str(app), "--host", "win11-x64").stdout
    assert "old.dll" in text and "surrogate" in text


def test_redirect_done_when_lines() -> None:
    hosts = run("redirect", "C:\\Windows\\System32\\drivers\\etc\\hosts", "--process", "x86",
                "--json")
    assert json.loads(hosts.stdout)["redirected"] is False
    kernel32 = "C:\\Windows\\System32\\kernel32.dll"
    x86 = json.loads(run("redirect", kernel32, "--process", "x86", "--json").stdout)
    assert x86["redirected"] and x86["result"] == "C:\\Windows\\SysWOW64\\kernel32.dll"
    x64 = json.loads(run("redirect", kernel32, "--process", "x64", "--json").stdout)
    assert not x64["redirected"] and x64["result"] == kernel32
    clsid = json.loads(run("redirect", "HKLM\\SOFTWARE\\Classes\\CLSID", "--process", "x86",
                           "--json").stdout)
    appid = json.loads(run("redirect", "HKLM\\SOFTWARE\\Classes\\AppID", "--process", "x86",
                           "--json").stdout)
    assert clsid["redirected"] and not appid["redirected"]
    assert {"input", "result", "redirected", "reason"} <= set(clsid)


def test_redirect_bad_input_exits_2() -> None:
    both = run("redirect", "HKLM\\SOFTWARE\\X", "--process", "x64", "--flags", "KEY_WOW64_64KEY",
               "--flags", "KEY_WOW64_32KEY")
    assert both.returncode == 2 and "ERROR_INVALID_PARAMETER (87)" in both.stderr
    assert run("redirect", "relative\\path", "--process", "x86").returncode == 2
    assert run("redirect", "C:\\x", "--process", "x86", "--flags", "KEY_WOW64_32KEY"
               ).returncode == 2


@pytest.mark.parametrize("arch", ["x86", "x64", "arm64"])
def test_emulate_checksum_equals_native(arch: str) -> None:
    from interopkit.emulation.emulator import Buffer
    from interopkit.emulation.native import NativeLibrary

    result = run("emulate", str(sample_path("windows", arch)), "checksum", "text:interop", "7",
                 "--json")
    data = json.loads(result.stdout)
    native = NativeLibrary().call("checksum", Buffer(b"interop"), 7).result & 0xFFFFFFFF
    assert (data["arch"], data["result"] & 0xFFFFFFFF) == (arch, native)
    assert data["instructions"] > 0 and data["seconds"] > 0


def test_emulate_errors() -> None:
    dll = str(sample_path("windows", "x64"))
    assert run("emulate", dll, "nope").returncode == 1
    bad = run("emulate", dll, "add", "x")
    assert bad.returncode == 2 and "not an argument" in bad.stderr


def test_surrogate_call_json_names_where_it_ran() -> None:
    from interopkit.surrogate.client import choose_kind

    result = run("surrogate", "call", str(sample_path("windows", "x86")), "add", "2", "3",
                 "--bitness", "32", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["result"] == 5
    assert report["surrogate"] == ("native-32" if choose_kind(32) == "native" else "emulated")
    assert report["pointer_size"] == 4 and report["pid"] > 0 and report["seconds"] > 0


def test_surrogate_call_emulated_reads_a_signed_long_and_prints_buffers() -> None:
    result = run("surrogate", "call", str(sample_path("windows", "x64")), "add", "2", "-7",
                 "--kind", "emulated", "--returns", "int32")
    assert result.returncode == 0, result.stderr
    assert "in the emulated surrogate" in result.stdout and ": -5 (0xfffffffb)" in result.stdout
    filled = run("surrogate", "call", str(sample_path("windows", "x64")), "fill", "zeros:3", "3",
                 "97", "--kind", "emulated")
    assert "buffer 0: 616263" in filled.stdout


def test_surrogate_call_of_the_wrong_bitness_is_one_line_with_193() -> None:
    result = run("surrogate", "call", str(sample_path("windows", "x86")), "add", "2", "3",
                 "--bitness", "64", "--kind", "emulated")
    assert result.returncode == 1
    assert result.stderr.startswith("interopkit: ERROR_BAD_EXE_FORMAT (193)")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_wire_json_shows_the_truncation_and_the_kept_handle_ptr() -> None:
    cut = json.loads(run("wire", "DWORD_PTR", "0x123456789", "--from", "64", "--to", "32",
                         "--json").stdout)
    assert (cut["wire_hex"], cut["wire_bytes"], cut["received_hex"], cut["lossy"]) == (
        "89674523", 4, "0x23456789", True)
    kept = json.loads(run("wire", "HANDLE_PTR", "0x123456789", "--from", "64", "--to", "64",
                          "--json").stdout)
    assert (kept["wire_bytes"], kept["received"], kept["lossy"]) == (8, 0x123456789, False)
    text = run("wire", "INT_PTR", "-1", "--from", "32", "--to", "64")
    assert "sign-extends" in text.stdout and text.returncode == 0
    bad = run("wire", "PVOID", "1", "--from", "64", "--to", "32")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_lint_json_lists_findings_and_exits_non_zero() -> None:
    from interopkit.com.lint import IDL_DIR

    bad = run("lint", str(IDL_DIR / "scanner_ported.idl"), "--json")
    findings = json.loads(bad.stdout)
    assert bad.returncode == 1 and len(findings) == 11
    assert {"parameter", "type", "rule", "message"} <= set(findings[0])
    assert (findings[3]["parameter"], findings[3]["type"], findings[3]["rule"]) == (
        "pBuffer", "DWORD", "pointer-in-32-bits")
    good = run("lint", str(IDL_DIR / "scanner_fixed.idl"))
    assert good.returncode == 0 and good.stdout.strip() == "scanner_fixed.idl: no findings"
    text = run("lint", str(IDL_DIR / "scanner_ported.idl"))
    assert "4 errors, 6 warnings, 1 note" in text.stdout and "fix: " in text.stdout
    missing = run("lint", "missing.idl")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_bench_json_schema_targets_and_plot(tmp_path: Path) -> None:
    picture = tmp_path / "latency.png"
    result = run("bench", "--quick", "--json", "--only", "pipe_baseline",
                 "surrogate_cross_bitness", "--plot", str(picture))
    data = json.loads(result.stdout)
    assert set(data) == {"host", "results", "targets"} and data["host"]["quick"] is True
    assert {r["experiment"] for r in data["results"]} == {"pipe_baseline",
                                                          "surrogate_cross_bitness"}
    assert all({"experiment", "payload_bytes", "median_us", "p25_us", "p75_us", "n"} <= set(r)
               for r in data["results"])
    names = [t["name"] for t in data["targets"]]
    assert "cross-bitness scalar call <= 3x the pipe ping-pong" in names
    assert result.returncode == (1 if any(t["met"] is False for t in data["targets"]) else 0)
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = run("bench", "--only", "nonsense")
    assert bad.returncode == 2 and "is not an experiment" in bad.stderr


@pytest.mark.usefixtures("wine32")
def test_bench_times_real_com_inside_its_client_and_activation_apart() -> None:
    result = run("bench", "--quick", "--only", "real_com")
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("real_com ")]
    assert [int(row[1]) for row in rows] == [0, 16, 256, 4096, 65536, 1 << 20], result.stdout
    assert "real_com: timed with QueryPerformanceCounter inside the 64-bit COM client" in \
        result.stdout and "left out of the per-call figures" in result.stdout
    assert result.returncode == 0 and "Traceback" not in result.stderr


FILE_COMMANDS = [["inspect"], ["check"], ["can-load", "--process", "x64"], ["lint"],
                 ["emulate", "{}", "add", "1", "2"], ["surrogate", "call", "{}", "add", "1", "2"]]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("command", FILE_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_fifo_without_a_writer_blocks_no_command(tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "pipe.dll"
    os.mkfifo(fifo)
    argv = [a.replace("{}", str(fifo)) for a in command]
    if "{}" not in " ".join(command):
        argv.insert(1, str(fifo))
    result = run(*argv)  # a blocked command would raise TimeoutExpired here
    assert result.returncode in (1, 2), result
    assert "pipe.dll: is a named pipe (FIFO), not a regular file" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_lint_refuses_a_device_that_never_ends() -> None:
    result = run("lint", "/dev/zero")
    assert result.returncode == 2 and "/dev/zero: is a character device" in result.stderr


def test_scan_reports_legacy_images_and_what_it_could_not_read(tmp_path: Path,
                                                             broken: dict[str, Path]) -> None:
    import shutil

    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(broken["ne_16bit"], app / "old.exe")
    shutil.copy(sample_path("windows", "x64"), app / "new.dll")
    result = run("scan", "--json", str(app))
    data = json.loads(result.stdout)
    assert data["by_machine"] == {"16-bit NE": 1, "AMD64": 1} and data["unreadable"] == []
    old = next(i for i in data["images"] if i["path"] == "old.exe")
    assert old["legacy"] == "NE" and "16-bit NE" in old["error"]
    assert {"root", "files_seen", "images", "by_machine"} <= set(data)
    text = run("scan", str(app)).stdout
    assert "old.exe  NE      16-bit NE" in text and "2 images in 2 files" in text


# --- --try in a Windows process under Wine (issue 18, part 8) ---------------------------------

BOTH_BITS = pytest.mark.parametrize("wine_bits", [32, 64], indirect=True)


@BOTH_BITS
def test_can_load_try_calls_loadlibraryw_in_a_windows_process_of_that_bitness(
        wine_bits: int) -> None:
    process, own, other = ("x86", "x86", "x64") if wine_bits == 32 else ("x64", "x64", "x86")
    right = run("can-load", str(sample_path("windows", own)), "--process", process, "--try",
                "--json")
    wrong = run("can-load", str(sample_path("windows", other)), "--process", process, "--try",
                "--json")
    assert (right.returncode, wrong.returncode) == (0, 1), (right.stderr, wrong.stderr)
    loads, refused = json.loads(right.stdout), json.loads(wrong.stdout)
    for data in (loads, refused):
        # Every field of can-load stays; the Windows attempt is a field of its own.
        assert {"loads", "error", "reason", "certainty", "real", "wine"} <= set(data)
        assert data["wine"]["attempted"] is True
        assert data["wine"]["platform"].startswith("Wine ")
        assert data["wine"]["platform"].endswith(f", {wine_bits}-bit process")
    assert (loads["wine"]["loaded"], loads["wine"]["code"]) == (True, 0)
    assert (refused["wine"]["loaded"], refused["wine"]["code"]) == (False, 193)


@BOTH_BITS
def test_redirect_try_shows_where_a_windows_process_got_the_path_and_the_key(
        wine_bits: int) -> None:
    from interopkit.kit.winprobe import probe

    process = "x86" if wine_bits == 32 else "x64"
    path = json.loads(run("redirect", "C:\\Windows\\System32\\kernel32.dll", "--process",
                          process, "--try", "--json").stdout)
    assert {"input", "result", "redirected", "reason", "sources"} <= set(path)
    assert path["wine"]["platform"].endswith(f", {wine_bits}-bit process")
    folder = "syswow64" if wine_bits == 32 else "system32"
    assert path["wine"]["final"].lower() == f"c:\\windows\\{folder}\\kernel32.dll"
    assert path["wine"]["agrees"] is True
    clsid = "HKLM\\SOFTWARE\\Classes\\CLSID"
    key = json.loads(run("redirect", clsid, "--process", process, "--try", "--json").stdout)
    assert key["wine"]["platform"].endswith(f", {wine_bits}-bit process")
    assert key["wine"]["written"] is True and key["wine"]["agrees"] is True
    assert (key["wine"]["visible_32bit_view"], key["wine"]["visible_64bit_view"]) == (
        (True, False) if wine_bits == 32 else (False, True))
    # The test key it made is gone from both views.
    left = probe(64, [f"regget:{view}:{clsid}\\InteropKit-Test" for view in ("100", "200")])
    assert [r["status"] for r in left.results] == [2, 2]


@pytest.mark.parametrize("command", [
    ["can-load", str(sample_path("windows", "arm64")), "--process", "arm64"],
    ["can-load", str(sample_path("windows", "x64")), "--process", "arm64ec"],
    ["redirect", "C:\\Windows\\System32", "--process", "arm64", "--host", "win11-arm64"]],
    ids=["can-load-arm64", "can-load-arm64ec", "redirect-arm64"])
def test_try_for_a_process_wine_cannot_run_says_so(command: list[str]) -> None:
    result = run(*command, "--try", "--json")
    assert "Traceback" not in result.stderr
    windows = json.loads(result.stdout)["wine"]
    assert windows["attempted"] is False and windows["platform"] is None
    assert "Wine runs x86 and x64 Windows processes only" in windows["summary"]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows runs the probe without Wine")
def test_try_where_wine_of_that_bitness_is_missing_says_why(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from interopkit.kit import wine

    monkeypatch.setattr(wine, "find_wine", lambda bits: None)
    dll = str(sample_path("windows", "x86"))
    assert main(["can-load", dll, "--process", "x86", "--try", "--json"]) == 0  # the model's
    loaded = json.loads(capsys.readouterr().out)
    assert loaded["loads"] is True and loaded["wine"]["attempted"] is False
    assert "32-bit" in loaded["wine"]["summary"] and "wine-setup" in loaded["wine"]["summary"]
    assert main(["redirect", "C:\\Windows\\System32", "--process", "x64", "--try"]) == 0
    out = capsys.readouterr().out
    assert "in a Windows process: not attempted:" in out and "64-bit" in out


def test_progress_json_fields_follow_the_kits_exercises(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.lessons.answerkey import exercises_by_notebook

    monkeypatch.setenv("INTEROPKIT_CACHE", str(tmp_path))
    (tmp_path / "progress.json").write_text(json.dumps({"solved": {"00": {
        "q0_process_bits": "2026-01-01T00:00:00Z", "q_no_longer_asked": "2026-01-01T00:00:00Z"}}}))
    result = run("progress", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    kit = exercises_by_notebook()
    assert set(data) == {"notebooks", "solved", "total", "file", "notes"}
    assert data["file"] == str(tmp_path / "progress.json") and data["notes"] == []
    assert (data["solved"], data["total"]) == (1, sum(len(items) for items in kit.values()))
    assert [row["notebook"] for row in data["notebooks"]] == list(kit)
    first = data["notebooks"][0]
    assert set(first) == {"notebook", "solved", "unsolved", "total"}
    assert (first["solved"], first["unsolved"], first["total"]) == (["q0_process_bits"], [], 1)
    assert data["notebooks"][1]["unsolved"] == [e.name for e in kit["01"]]


def test_progress_text_and_a_damaged_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INTEROPKIT_CACHE", str(tmp_path))
    assert main(["progress"]) == 0
    assert "all notebooks    0 / " in capsys.readouterr().out
    (tmp_path / "progress.json").write_bytes(b"\x00\xff not JSON")
    assert main(["progress"]) == 0
    out, err = capsys.readouterr()
    [kept] = tmp_path.glob("progress.json.unreadable-*")
    assert f"moved aside to {kept}" in out and err == ""
    assert kept.read_bytes() == b"\x00\xff not JSON"


def test_progress_reset_moves_the_record_aside_and_says_where(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INTEROPKIT_CACHE", str(tmp_path))
    assert main(["progress", "--reset"]) == 0
    assert "no progress to reset" in capsys.readouterr().out
    record = json.dumps({"solved": {"00": {"q0_process_bits": "2026-01-01T00:00:00Z"}}})
    (tmp_path / "progress.json").write_text(record)
    result = run("progress", "--reset")  # asks nothing, as a script would run it
    assert result.returncode == 0, result.stderr
    [kept] = tmp_path.glob("progress.json.reset-*")
    assert str(kept) in result.stdout and kept.read_text() == record
    assert not (tmp_path / "progress.json").exists()
    assert main(["progress", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["solved"] == 0
    (tmp_path / "progress.json").write_text(record)
    assert main(["progress", "--reset", "--json"]) == 0
    moved = json.loads(capsys.readouterr().out)
    assert moved["reset"] is True and Path(moved["moved_to"]).read_text() == record
