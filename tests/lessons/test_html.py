"""interopkit.lessons.html: its tables, diagrams, explorers and exercises."""

from interopkit.kit.samples import sample_path
from interopkit.lessons.html import image_summary_html


def test_summary_escapes_and_reports_imports() -> None:
    from interopkit.kit.samples import probe_path

    html = image_summary_html(probe_path("probe_x64.exe"))
    assert "KERNEL32.dll: ExitProcess, " in html and "VirtualAlloc" in html
    assert "none (import-free)" in image_summary_html(sample_path("windows", "x86"))


def test_summary_caps_a_long_export_list() -> None:
    # A system library lists thousands of exports (libc: 2,721); the explorer shows the first
    # ones and says how many more there are.
    html = image_summary_html(sample_path("windows", "x86"), max_exports=3)
    assert "add, add_stdcall@8, arch_name ... and 7 more (10 in all)" in html
    assert "checksum" not in html
    assert "more (" not in image_summary_html(sample_path("windows", "x86"))


def test_summary_names_elf_machines_as_elf_does() -> None:
    html = image_summary_html(sample_path("linux", "x86_64"))
    assert "EM_X86_64 = 62" in html and "0x003E" not in html and "AMD64 = " not in html
    assert "AMD64 = 0x8664" in image_summary_html(sample_path("windows", "x64"))
