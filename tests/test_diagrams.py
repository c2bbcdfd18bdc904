import matplotlib

matplotlib.use("Agg")

from interopkit.diagrams import draw_file_map, file_regions
from interopkit.samples import sample_path


def test_pe_regions_follow_the_headers() -> None:
    x86 = {r.name: r for r in file_regions(sample_path("windows", "x86"))}
    x64 = {r.name: r for r in file_regions(sample_path("windows", "x64"))}
    assert x86["DOS header"].end == 64
    size = lambda r: r.end - r.start
    # The PE32+ optional header is 16 bytes longer than PE32's (96 vs 112 bytes of fields).
    assert size(x64["optional header"]) - size(x86["optional header"]) == 16
    assert ".text" in x86 and ".reloc" in x64


def test_elf_regions() -> None:
    regions = file_regions(sample_path("linux", "x86_64"))
    names = [r.name for r in regions]
    assert names[:2] == ["ELF identification", "ELF header"] and ".dynsym" in names
    assert all(r.end > r.start for r in regions)


def test_draw_one_row_per_file() -> None:
    paths = [sample_path("windows", "x86"), sample_path("linux", "i386")]
    ax = draw_file_map(paths)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sample_x86.dll",
                                                           "libsample_i386.so"]
    bars = [c for c in ax.collections]
    assert len(bars) == sum(len(file_regions(p)) for p in paths)
    # A little room past the longest file, so that its last bar ends inside the axes.
    widest = max(r.end for p in paths for r in file_regions(p))
    assert widest < ax.get_xlim()[1] <= widest * 1.05


def test_limit_cuts_the_axis_and_labels() -> None:
    ax = draw_file_map([sample_path("windows", "x64")], limit=700)
    assert ax.get_xlim() == (0, 700)
    labels = {t.get_text() for t in ax.texts}
    assert "optional header" in labels and ".text" not in labels


def test_every_header_is_named_even_the_narrow_ones() -> None:
    # The 4-byte PE signature and the 20-byte COFF header are too narrow for a label inside
    # their bars; they get one above the bar, with a line to it.
    ax = draw_file_map([sample_path("windows", "x86"), sample_path("windows", "x64")], limit=700)
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("PE signature") == 2 and labels.count("COFF header") == 2
    for name in ("DOS header", "DOS stub", "optional header", "data directories",
                 "section table"):
        assert labels.count(name) == 2, name
    # A whole file at once: the many narrow headers share one label naming first and last.
    whole = draw_file_map([sample_path("windows", "x86")])
    assert any(t.get_text().startswith("headers: DOS header ... ") for t in whole.texts)


def test_whole_file_map_labels_pe_and_elf_headers_alike() -> None:
    # Issue 15 fresh read: "ELF header" and "ELF identification" were stacked at offset 0
    # while the PE headers shared one label; the 700-byte map was titled "headers and
    # sections" while it shows headers only.
    ax = draw_file_map([sample_path("windows", "x64"), sample_path("linux", "x86_64")])
    labels = [t.get_text() for t in ax.texts]
    assert "ELF header" not in labels and "ELF identification" not in labels
    assert sum(label.startswith("headers: ") for label in labels) == 2 and ".text" in labels
    assert ax.get_title() == "Where the headers and sections sit in each file"
    assert "first 700 bytes" in draw_file_map([sample_path("windows", "x64")],
                                              limit=700).get_title()


def test_draw_bits_draws_three_rows_of_64() -> None:
    from interopkit.diagrams import BIT_COLOURS, draw_bits
    from interopkit.ndr import transfer

    ax = draw_bits(transfer("DWORD_PTR", 0x1_2345_6789, 64, 32))
    assert len(ax.patches) == 3 * 64
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "sender's DWORD_PTR (64 bits)", "on the NDR20 wire (4 bytes)",
        "receiver's DWORD_PTR (32 bits)"]
    assert "receiver holds 0x23456789 (lossy)" in ax.get_title()
    orange = matplotlib.colors.to_rgba(BIT_COLOURS["held back"])
    assert sum(p.get_facecolor() == orange for p in ax.patches) == 32
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["travels", "held back", "meant, but no such bit"]


def _space(bits: int, reserved: int) -> object:
    from interopkit.wow64 import AddressSpace

    return AddressSpace(probe="p", arch="i386" if bits == 32 else "x86_64",
                        pointer_size=bits // 8, code_address=0x10000, stack_address=0x20000,
                        heap_address=0x30000, reserved_bytes=reserved,
                        highest_address=reserved, syscall_abi="", windows={})


def test_the_log_axis_says_how_far_apart_the_bars_really_are() -> None:
    # 4 GiB against 128 TiB looks like 1:2 on a log axis; the title gives the measured ratio.
    from interopkit.diagrams import draw_address_spaces

    spaces = [_space(32, 4 << 30), _space(64, 128 << 40)]
    ax = draw_address_spaces(spaces)
    assert "yet holds 32,768 times as much" in ax.get_title()
    assert "log scale" in ax.get_xlabel()
    assert "times" not in draw_address_spaces([spaces[0]]).get_title()


def test_the_linear_axis_draws_the_real_proportions() -> None:
    from interopkit.diagrams import draw_address_spaces_linear

    spaces = [_space(32, 4 << 30), _space(64, 128 << 40)]
    ax = draw_address_spaces_linear(spaces)
    assert [p.get_width() for p in ax.patches] == [4 << 30, 128 << 40]
    labels = [t.get_text() for t in ax.texts]
    assert labels == [" 4 GiB, 1/32,768 of the longest: too thin to see", " 128 TiB"]
    assert ax.get_xscale() == "linear"


def test_com_primer_draws_every_part_and_both_directions() -> None:
    import matplotlib.pyplot as plt

    from interopkit.diagrams import COM_PRIMER, draw_com_primer

    ax = draw_com_primer()
    parts = [t.get_text() for t in ax.texts if t.get_gid() == "part"]
    assert parts == [label for _, label, _ in COM_PRIMER]
    assert [p.get_gid() for p in ax.patches].count("process") == 2
    assert [p.get_gid() for p in ax.patches].count("call") == 4
    assert [p.get_gid() for p in ax.patches].count("reply") == 4
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "MARSHALS" in texts and "UNMARSHALS" in texts and "dllhost.exe (32-bit)" in texts
    plt.close(ax.figure)



def test_address_space_title_gives_the_apparent_and_the_real_ratio() -> None:
    # Issue 15 fresh read: the title said the bars "look alike" on the log axis, while the
    # 64-bit bar looked about twice as long as the 32-bit one.
    from interopkit.diagrams import draw_address_spaces

    title = draw_address_spaces([_space(32, 4 << 30), _space(64, 128 << 40)]).get_title()
    assert "look alike" not in title
    assert "looks 1.9 times as long" in title and "32,768 times as much" in title
