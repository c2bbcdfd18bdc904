"""interopkit.lessons.com_surrogate: its tables, diagrams, explorers and exercises."""

import pytest


def test_com_primer_draws_every_part_and_both_directions() -> None:
    import matplotlib.pyplot as plt

    from interopkit.lessons.com_surrogate import COM_PRIMER, draw_com_primer

    ax = draw_com_primer()
    parts = [t.get_text() for t in ax.texts if t.get_gid() == "part"]
    assert parts == [label for _, label, _ in COM_PRIMER]
    assert [p.get_gid() for p in ax.patches].count("process") == 2
    assert [p.get_gid() for p in ax.patches].count("call") == 4
    assert [p.get_gid() for p in ax.patches].count("reply") == 4
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "MARSHALS" in texts and "UNMARSHALS" in texts and "dllhost.exe (32-bit)" in texts
    plt.close(ax.figure)


def test_surrogate_explorer_calls_through_the_chosen_surrogate() -> None:
    from interopkit.lessons.com_surrogate import surrogate_explorer

    box = surrogate_explorer()
    dll, kind = box.children[0].children
    export, arguments = box.children[1].children
    output = box.children[2]
    assert "returned <b>5</b>" in output.value and "received: 24 bytes" in output.value
    assert "4-byte pointers" in output.value
    dll.value = "x64"
    assert "8-byte pointers" in output.value
    kind.value = "emulated"
    assert "<b>emulated</b> surrogate" in output.value
    export.value, arguments.value = "echo_ptr", "0x123456789"
    assert "returned <b>4886718345</b>" in output.value
    dll.value = "x86"
    assert "returned <b>591751049</b>" in output.value  # 0x23456789: the low 32 bits
    export.value, arguments.value = "checksum", "0x10 5"  # a bad pointer
    assert "FAULT" in output.value and "UC_ERR_READ_UNMAPPED" in output.value
    arguments.value = "text:"  # a bad argument: the kit's error, in the output
    assert "is not an argument" in output.value


def _children() -> set[int]:
    """Live child processes of this process (Linux /proc; empty elsewhere)."""
    import os
    from pathlib import Path

    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def test_surrogate_explorer_leaves_no_surrogate_running() -> None:
    from interopkit.lessons.com_surrogate import surrogate_explorer

    before = _children()
    box = surrogate_explorer()
    dll, kind = box.children[0].children
    export, arguments = box.children[1].children
    dll.value = "x64"
    export.value, arguments.value = "counter_next", ""
    assert "returned <b>1</b>" in box.children[2].value  # a fresh surrogate for every call
    kind.value = "emulated"
    assert _children() - before == set()


# --- real COM: live under Wine, recorded without it ------------------------------------------

def _no_wine(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Wine here: the lessons must show the recordings without starting anything."""
    from interopkit.kit import wine
    from interopkit.lessons import recorded

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Wine was started although it was reported missing")

    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)
    monkeypatch.setattr(wine, "run", refuse)
    monkeypatch.setattr(wine, "session", refuse)
    monkeypatch.setattr(recorded, "_CACHE", {})


def test_the_recipe_registers_the_proxy_stub_in_both_views() -> None:
    from interopkit.com.real import ISAMPLE_IID, SAMPLE_CLSID
    from interopkit.lessons.com_surrogate import recipe_reg_text, recipe_registry_html

    tree, text = recipe_registry_html(), recipe_reg_text()
    assert f"Wow6432Node\\CLSID\\{SAMPLE_CLSID}\\InprocServer32" in tree
    assert f"SOFTWARE\\Classes\\Interface\\{ISAMPLE_IID}\\ProxyStubClsid32" in tree
    assert f"Wow6432Node\\Interface\\{ISAMPLE_IID}\\ProxyStubClsid32" in tree
    assert "isampleps_x86.dll" in text and "isampleps_x64.dll" in text
    assert "comserver_x86.dll" in text and "comserver_x64.dll" not in text
    assert f"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\AppID\\{SAMPLE_CLSID}]\r\n" \
           '"DllSurrogate"=""' in text


def test_real_com_without_wine_shows_the_recording_labelled(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from interopkit.lessons.com_surrogate import COM_PROGRESS, real_com_html, real_com_runs

    _no_wine(monkeypatch)
    page = real_com_html()
    assert "<b>recorded on " in page and "Wine is not installed here" in page
    assert "live:" not in page
    runs = real_com_runs()
    assert [(r["client_bits"], r["setup"]["server_bits"], r["ptr_size"]) for r in runs] == [
        (64, 32, 4), (32, 64, 8)]
    assert ">64-bit client, 32-bit server</th>" in page
    assert ">C:\\windows\\syswow64\\dllhost.exe (32-bit)</td>" in page
    assert ">C:\\windows\\system32\\dllhost.exe (64-bit)</td>" in page
    assert ">4 bytes</td><td style='text-align:left'>8 bytes</td>" in page
    assert COM_PROGRESS not in capsys.readouterr().out  # nothing is started, nothing to wait for


def test_real_failures_without_wine_show_each_case_beside_the_model(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.com.real import FAILURES
    from interopkit.lessons.com_surrogate import (
        COM_FAILURE_NOTES,
        real_failures_html,
        wine_differences,
    )

    _no_wine(monkeypatch)
    page = real_failures_html()
    assert "<b>recorded on " in page
    for title, *_ in FAILURES:
        assert title in page
        assert COM_FAILURE_NOTES[title][0].replace("'", "&#x27;") in page
    assert page.count("<tr>") == len(FAILURES) + 1
    assert "fails: E_INVALIDARG (0x80070057)" in page  # the model's answer to case 7
    # The recording was made with Wine 8.0: these three are where Wine and the documentation
    # part (ACTIVATE_64 with no 64-bit server, both flags, Wine's DllSurrogate bug).
    assert wine_differences() == {6, 7, 8}


@pytest.mark.parametrize(("run", "expected"), [
    ({"create_hr": 0, "surrogate": {"bits": 32},
      "model": {"succeeded": True, "server_bits": 32, "hresult": None}}, "agree"),
    ({"create_hr": 0, "surrogate": {"bits": 64},
      "model": {"succeeded": True, "server_bits": 32, "hresult": None}}, "differ (bitness)"),
    ({"create_hr": 0, "surrogate": {"bits": 32},
      "model": {"succeeded": False, "server_bits": None, "hresult": 0x80070057}}, "differ"),
    ({"create_hr": 0x80040152, "surrogate": None,
      "model": {"succeeded": False, "server_bits": None, "hresult": 0x80040154}},
     "agree (other code)"),
    ({"create_hr": 0x80040154, "surrogate": None,
      "model": {"succeeded": False, "server_bits": None, "hresult": 0x80040154}}, "agree"),
])
def test_agreement_compares_outcomes_then_codes(run: dict, expected: str) -> None:
    from interopkit.lessons.com_surrogate import _agreement

    assert _agreement(run) == expected


def test_q5_and_q6_right_wrong_and_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.lessons.com_surrogate import q5_dllhost_image, q6_wine_differs
    from interopkit.lessons.exercise import State

    _no_wine(monkeypatch)
    for exercise in (q5_dllhost_image, q6_wine_differs):
        assert exercise.check().state is State.NOT_ATTEMPTED
        assert exercise.check(exercise.solve()).state is State.RIGHT
    assert q5_dllhost_image.check("c:/WINDOWS/SysWOW64/dllhost.exe").state is State.RIGHT
    wrong = q5_dllhost_image.check(r"C:\windows\system32\dllhost.exe")
    assert wrong.state is State.WRONG and "64-bit dllhost" in wrong.message
    assert "section 0" in q5_dllhost_image.check(r"C:\windows\syswow64\python.exe").message
    assert "as a string" in q5_dllhost_image.check(32).message
    wrong = q6_wine_differs.check({2, 6, 7, 8})
    assert wrong.state is State.WRONG and "Case 2 fails on both sides" in wrong.message
    assert "Some are missing" in q6_wine_differs.check({6}).message
    assert "as a set" in q6_wine_differs.check("6, 7").message
    assert q6_wine_differs.check([8, 7, 6]).state is State.RIGHT


@pytest.mark.usefixtures("wine32", "no_wine_left")
def test_real_com_live_under_wine(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from interopkit.lessons import recorded
    from interopkit.lessons.com_surrogate import COM_PROGRESS, real_com_html, real_com_runs

    monkeypatch.setattr(recorded, "_CACHE", {})
    page = real_com_html()
    assert capsys.readouterr().out.startswith(COM_PROGRESS)
    assert "<b>live: Wine " in page and "recorded" not in page
    first, second = real_com_runs()
    assert (first["ptr_size"], first["surrogate"]["bits"], first["add"]) == (4, 32, 5)
    assert first["surrogate"]["image"].lower().endswith("\\syswow64\\dllhost.exe")
    assert (second["ptr_size"], second["surrogate"]["bits"], second["add"]) == (8, 64, 5)
    assert len(first["call_us"]) == recorded.COM_CALLS and first["create_ms"] > 0


@pytest.mark.usefixtures("wine32", "no_wine_left")
def test_real_failures_live_under_wine(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from interopkit.com.real import FAILURES
    from interopkit.lessons import recorded
    from interopkit.lessons.com_surrogate import (
        FAILURES_PROGRESS,
        real_failures,
        real_failures_html,
    )

    monkeypatch.setattr(recorded, "_CACHE", {})
    page = real_failures_html()
    assert capsys.readouterr().out.startswith(FAILURES_PROGRESS)
    assert "<b>live: Wine " in page
    cases = real_failures()
    assert [c["case"] for c in cases] == [title for title, *_ in FAILURES]
    by_case = {c["case"]: c["run"] for c in cases}
    assert by_case["CLSCTX_INPROC_SERVER from the other bitness"]["create_hr"] != 0
    assert by_case["the 64-bit proxy/stub not registered"]["create_hr"] != 0
    forced = by_case["CLSCTX_ACTIVATE_32_BIT_SERVER, 32-bit server registered"]
    assert (forced["create_hr"], forced["ptr_size"]) == (0, 4)


def test_q5_says_so_when_the_real_run_made_no_object(monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.lessons import com_surrogate
    from interopkit.lessons.exercise import State

    failed = {"create_hr": 0x80040154, "surrogate": None}
    monkeypatch.setattr(com_surrogate, "real_com_runs", lambda: [failed, failed])
    feedback = com_surrogate.q5_dllhost_image.check(r"C:\windows\syswow64\dllhost.exe")
    assert feedback.state is State.WRONG
    assert "made no object here (CoCreateInstance: REGDB_E_CLASSNOTREG" in feedback.message


def _shown_failures(monkeypatch: pytest.MonkeyPatch, platform: str,
                    as_documented: bool = False) -> None:
    """Section 6's run replaced by the recording's cases run on ``platform``; with
    ``as_documented``, every case answered as the model says."""
    import copy

    from interopkit.lessons import recorded

    _no_wine(monkeypatch)
    cases = copy.deepcopy(recorded.cached("com_failures").result)
    for item in cases["cases"]:
        run = item["run"]
        run["platform"] = platform
        if as_documented:
            model = run["model"]
            run["create_hr"] = 0 if model["succeeded"] else model["hresult"]
            run["surrogate"] = ({"image": "C:\\Windows\\System32\\dllhost.exe",
                                 "bits": model["server_bits"]} if model["succeeded"] else None)
    recorded._CACHE["com_failures"] = recorded.Answer(cases, f"live: {platform}", True)


def test_the_notice_names_the_rows_that_differ_in_the_run_shown_with_wines_reasons(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.lessons.com_surrogate import WINE_NOTES, differences_html, real_failures_html

    _no_wine(monkeypatch)  # the recording: Wine 8.0, where rows 6, 7 and 8 differ
    notice = differences_html()
    assert "Wine is not Windows. In the run shown (Wine 8.0" in notice
    assert "rows 6, 7 and 8 differ from the documentation" in notice
    assert "Row 6 (CLSCTX_ACTIVATE_64_BIT_SERVER, only a 32-bit server registered) created " \
           "the object, in C:\\windows\\syswow64\\dllhost.exe (32-bit)" in notice
    assert "Row 8 (64-bit client, 64-bit server, empty DllSurrogate (a Wine bug)) failed with " \
           "E_NOINTERFACE (0x80004002)" in notice
    assert notice.count(">WINE-COMBASE</a>") == 3
    table = real_failures_html()
    for note in WINE_NOTES.values():
        assert note.replace("'", "&#x27;") in notice and note.replace("'", "&#x27;") in table
    assert "(a Wine bug)" in table


def test_on_windows_nothing_blames_wine(monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.lessons.com_surrogate import (
        WINE_NOTES,
        differences_html,
        real_failures_html,
        wine_differences,
    )

    _shown_failures(monkeypatch, "Windows 10.0.22631, 64-bit process")
    table, notice = real_failures_html(), differences_html()
    assert "Wine" not in table.replace("live: Windows", "")
    assert ">64-bit client, 64-bit server, empty DllSurrogate</td>" in table
    assert not any(note[:40] in table or note[:40] in notice for note in WINE_NOTES.values())
    assert "Wine is not Windows" not in notice and "WINE-COMBASE" not in notice
    assert "rows 6, 7 and 8 differ" in notice and "This is Windows itself" in notice
    assert wine_differences() == {6, 7, 8}


def test_a_run_that_follows_the_documentation_has_nothing_to_explain(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.lessons.com_surrogate import differences_html, wine_differences

    _shown_failures(monkeypatch, "Windows 10.0.22631, 64-bit process", as_documented=True)
    assert wine_differences() == set()
    assert differences_html() == ("<p><b>In the run shown (Windows 10.0.22631, 64-bit process), "
                                  "every row agrees with the documentation</b> on whether the "
                                  "client got an object.</p>")
