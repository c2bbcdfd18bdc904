import os
import threading
from pathlib import Path

import pytest

from interopkit.errors import ImageError, UsageError
from interopkit.images import files
from interopkit.images.files import ImageFile, open_image, require_regular_file
from interopkit.images.layout import ShortRead
from interopkit.kit.samples import sample_path

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def returns_within(seconds: float, action: object) -> object:
    """Run ``action`` in a thread; fail (instead of hanging the tests) if it blocks."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(action())  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 (handed back to the test)
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for more than {seconds} s"
    return outcome[0]


@needs_fifo
def test_a_fifo_without_a_writer_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.dll"
    os.mkfifo(fifo)
    caught = returns_within(5, lambda: open_image(fifo))
    assert isinstance(caught, ImageError)
    assert "is a named pipe (FIFO), not a regular file" in str(caught)
    with pytest.raises(UsageError, match=r"pipe\.dll: is a named pipe \(FIFO\)"):
        require_regular_file(fifo, UsageError)


@needs_fifo
def test_a_path_that_becomes_a_fifo_after_the_check_is_still_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "swapped.dll"
    os.mkfifo(fifo)
    monkeypatch.setattr(files, "require_regular_file", lambda path: 0)  # the check raced
    caught = returns_within(5, lambda: open_image(fifo))
    assert isinstance(caught, ImageError) and "named pipe (FIFO)" in str(caught)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_that_never_ends_is_refused() -> None:
    with pytest.raises(ImageError, match=r"/dev/zero: is a character device, not a regular "
                                         r"file"):
        open_image("/dev/zero")


def test_folders_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is a folder, not a file"):
        open_image(tmp_path)
    with pytest.raises(ImageError, match="does not exist") as caught:
        open_image(tmp_path / "missing.dll")
    assert caught.value.code is not None and caught.value.code.value == 2


def test_unreadable_files_say_access_denied(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.dll"
    path.write_bytes(b"MZ")
    real_open = os.open

    def denied(name: object, *args: object) -> int:
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ImageError, match=r"cannot be read \(permission denied\)") as caught:
        open_image(path)
    assert caught.value.code is not None and caught.value.code.name == "ERROR_ACCESS_DENIED"


def test_reads_are_checked_against_the_size() -> None:
    path = sample_path("windows", "x64")
    size = path.stat().st_size
    with open_image(path) as source:
        assert source.size == size and source.read_at(0, 2) == b"MZ"
        assert source.read_at(size - 4, 4) == path.read_bytes()[-4:]
        with pytest.raises(ShortRead, match=rf"read 3 bytes of the table at offset "
                                            rf"{size - 3:#x}, expected 8"):
            source.read_at(size - 3, 8, "table")
        with pytest.raises(ShortRead, match="read 0 bytes of the far table at offset "
                                            "0xffffff00, expected 264"):
            source.read_at(0xFFFFFF00, 264, "far table")
        assert source.read_upto(size - 2, 100) == path.read_bytes()[-2:]
        assert source.read_upto(0xFFFFFF00, 264) == b""


def test_strings_stop_at_the_limit_the_end_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "names.bin"
    path.write_bytes(b"kernel32.dll\0" + b"x" * 9000)
    with open_image(path) as source:
        assert source.cstring(0, 100) == b"kernel32.dll"
        assert source.cstring(0, 6) == b"kernel"
        assert source.cstring(0, 100, end=3) == b"ker"
        assert source.cstring(13, 1 << 20) == b"x" * 9000  # across pages, up to the end


def test_the_page_cache_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "sparse.bin"
    with path.open("wb") as handle:
        handle.truncate(4096 * 1000)
    with open_image(path) as source:
        for page in range(1000):
            assert source.cstring(page * 4096, 16) == b""
        assert 0 < len(source._pages) <= 256


def test_closing_twice_is_harmless() -> None:
    source = open_image(sample_path("windows", "x86"))
    assert isinstance(source, ImageFile)
    source.close()
    source.close()
    assert source.fd == -1
