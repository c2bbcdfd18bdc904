import re
from pathlib import Path

from interopkit.appfolders import build_demo_app
from interopkit.checker import check_app
from interopkit.loader import Host, ImageKind, load_outcome
from interopkit.realload import compare_samples
from interopkit.samples import sample_path
from interopkit.tables import (
    check_report_html,
    comparison_table_html,
    error_codes_html,
    fields_table_html,
    images_table_html,
    outcome_html,
    sources_html,
    start_table_html,
)
from interopkit.winerror import WinError


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_outcome_shows_verdict_message_remedy_and_linked_sources() -> None:
    html = outcome_html(load_outcome("x64", "I386", "win11-x64"))
    assert "fails: ERROR_BAD_EXE_FORMAT (193)" in html
    assert "the DLL is not a valid Win32 application." in html
    assert "Remedy:" in html and "216" in html
    assert 'href="https://learn.microsoft.com/windows/win32/winprog64/' in html
    assert "no such process" in outcome_html(load_outcome("arm64", "ARM64", "win11-x64"))


def test_fields_table_decodes_flags() -> None:
    html = text(fields_table_html(sample_path("windows", "x86"), "COFF"))
    assert "0x2102 = EXECUTABLE_IMAGE | 32BIT_MACHINE | DLL" in html


def test_images_table_uses_elf_names_for_elf() -> None:
    html = text(images_table_html([sample_path("linux", "i386"), sample_path("windows", "x86")]))
    assert "EM_386 = 3 (like PE I386)" in html and "shared object" in html
    assert "I386 = 0x014C" in html


def test_comparison_and_start_tables() -> None:
    html = text(comparison_table_html(compare_samples()))
    assert "sample_x86.dll" in html and "ERROR_BAD_EXE_FORMAT" in html
    starts = text(start_table_html([ImageKind.I386, ImageKind.AMD64],
                                   [Host.WIN11_X64, Host.WIN10_ARM64]))
    assert "WOW64 + x86 emulation" in starts and "no (216)" not in starts
    assert "no (193 or 216) *" in starts  # which code appears when is not documented


def test_check_report_and_error_codes(tmp_path: Path) -> None:
    html = text(check_report_html(check_app(build_demo_app(tmp_path), host="win11-x64")))
    assert "scanner.dll" in html and "0xC000007B" in html and "legacy_tiff.dll" not in html
    codes = text(error_codes_html([WinError.ERROR_BAD_EXE_FORMAT]))
    assert "193" in codes and "not a valid Win32 application" in codes
    assert sources_html(["W64-RUN"]).startswith('<a href="https://')


def test_bits_html_colours_every_bit_and_reports_bad_input() -> None:
    from interopkit.tables import bits_html

    page = bits_html("DWORD_PTR", "0x1_2345_6789", 64, 32, "ndr20")
    assert page.count("<td") == 3 * 64 and "title='bit 32: lost'" in page
    assert "<code>89 67 45 23</code>" in page and "information lost" in page
    assert "MIDL-3264" in page
    assert "undefined" in bits_html("HANDLE_PTR", "5", 32, 64, "ndr20")
    assert "is not an integer" in bits_html("DWORD_PTR", "zz", 64, 32, "ndr20")
    assert "not a type the kit" in bits_html("PVOID", "1", 64, 32, "ndr20")


def test_findings_echoes_and_handle_trip_tables() -> None:
    from interopkit.basetsd import INVALID_HANDLE_VALUE
    from interopkit.crossing import Echo
    from interopkit.lint import lint
    from interopkit.tables import echoes_html, findings_html, handle_trip_html

    assert findings_html([]) == "<p><b>No findings.</b></p>"
    page = findings_html(lint("interface I { HRESULT F([in] DWORD pData); }"))
    assert "pointer-in-32-bits" in page and "<code>pData</code>" in page and "W64-PTR" in page
    echoes = [Echo("DWORD", 0x7F00_0000_1000, 4, 0x1000, 32),
              Echo("UINT_PTR", 0x7F00_0000_1000, 8, 0x7F00_0000_1000, 64)]
    page = echoes_html(echoes)
    assert "LOST the upper half" in page and "all 64 bits kept" in page
    assert page.count("<td style='text-align:left'>0x1000</td>") == 3  # held; NDR20 twice
    trip = handle_trip_html({"sent": INVALID_HANDLE_VALUE, "echoed (32 bits)": 0xFFFF_FFFF})
    assert "0xffffffffffffffff" in trip and "0x00000000ffffffff" in trip


def test_bench_table_shows_medians_quartiles_and_skips() -> None:
    from interopkit.bench import Record, Run
    from interopkit.tables import bench_table_html

    measured = Run({"skipped": {"msl_loadlib": "not <installed>"}},
                   (Record("native_inproc", 0, 0.5, 0.4, 0.6, 15, 0.45, 0.55),))
    page = bench_table_html(measured)
    assert "<th style='text-align:left'>native_inproc</th><td>0.5<br><small>0.4-0.6" in page
    assert "skipped msl_loadlib: not &lt;installed&gt;" in page


def test_key_redirections_name_the_process_and_the_flags() -> None:
    # Issue 15 fresh read: three rows all read HKLM\SOFTWARE\Vendor\App, and the x64 row with
    # KEY_WOW64_32KEY gave the same "why" as the plain x86 row.
    from interopkit.redirect import KEY_WOW64_32KEY, redirect_key
    from interopkit.tables import key_redirections_html

    key = "HKLM\\SOFTWARE\\Vendor\\App"
    html = key_redirections_html([("x86", 0, redirect_key(key, "x86")),
                                  ("x64", KEY_WOW64_32KEY, redirect_key(key, "x64",
                                                                        KEY_WOW64_32KEY))])
    assert "process" in html and "view flags" in html and ">none<" in html
    assert "asked for it with KEY_WOW64_32KEY" in html
    assert html.count("asked for it with") == 1
