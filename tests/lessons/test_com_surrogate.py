"""interopkit.lessons.com_surrogate: its tables, diagrams, explorers and exercises."""



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
