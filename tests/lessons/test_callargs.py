"""The call explorers' argument checks, defaults and capped export lists."""

import pytest

from interopkit.emulation.emulator import Emulator
from interopkit.errors import UsageError
from interopkit.images.inspection import inspect
from interopkit.kit.samples import sample_path
from interopkit.lessons.callargs import (
    EXPORT_LIMIT,
    SIGNATURES,
    check_arguments,
    export_options,
    parse_arguments,
)
from interopkit.lessons.html import _sample_export


def test_signatures_cover_every_sample_export() -> None:
    for arch in ("x86", "x64", "arm64"):
        exports = inspect(sample_path("windows", arch)).exports
        offered, hidden = export_options(exports)
        assert hidden == 0 and set(offered[:len(SIGNATURES)]) <= set(SIGNATURES) | set(exports)
        assert len(offered) == len(exports)


@pytest.mark.parametrize("export", sorted(SIGNATURES))
@pytest.mark.parametrize("arch", ["x86", "x64", "arm64"])
def test_every_default_works_on_the_first_try(export: str, arch: str) -> None:
    values = parse_arguments(SIGNATURES[export].default)
    name = _sample_export(export, 32 if arch == "x86" else 64)
    check_arguments(name, values)
    Emulator(sample_path("windows", arch)).call(name, *values)  # no fault


def test_checksum_with_the_old_default_is_refused() -> None:
    # The explorer kept "2 3" when checksum was chosen: a pointer 2, and a fault.
    with pytest.raises(UsageError, match=r"takes 2 arguments \(buf, len\); 1 given"):
        check_arguments("checksum", parse_arguments("2"))
    with pytest.raises(UsageError, match=r"ptr_size: takes 0 arguments; 2 given"):
        check_arguments("ptr_size", parse_arguments("2 3"))
    with pytest.raises(UsageError, match=r"add_stdcall@8: takes 2 arguments"):
        check_arguments("add_stdcall@8", [1])
    check_arguments("_add_stdcall@8", [1, 2])  # MSVC's decoration of the same function
    check_arguments("strlen", [1, 2, 3])  # an export the kit does not know: not checked


def test_long_export_lists_are_capped() -> None:
    exports = [f"f{i:04}" for i in range(2721)] + ["checksum"]
    offered, hidden = export_options(exports)
    assert len(offered) == EXPORT_LIMIT and hidden == 2722 - EXPORT_LIMIT
    assert offered[0] == "checksum"  # the known ones first
