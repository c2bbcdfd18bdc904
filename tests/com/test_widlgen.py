"""The committed proxy/stub sources are widl's output for isample.idl, byte for byte."""

import re

import pytest

from interopkit.com import widlgen
from interopkit.errors import ToolchainError


def test_the_committed_sources_match_a_fresh_widl_run(wine64: None) -> None:
    if widlgen.find_widl() is None:  # wine64-tools and libwine-dev come with the Wine setup
        pytest.skip("widl or Wine's IDL files are not installed (apt-get install wine64-tools "
                    "libwine-dev)")
    assert widlgen.check() == []


def test_handle_ptr_is_a_hyper_only_in_the_stub_built_with_win64() -> None:
    # widl does not define _WIN64 for -m64, so basetsd.h's HANDLE_PTR stays 32 bits (FC_LONG)
    # unless the kit passes -D_WIN64 (gen64w): the two 64-bit stubs disagree on the wire.
    def handle_ptr_format(folder: str) -> str:
        text = (widlgen.IDL.parent / folder / "isample_p.c").read_text(encoding="utf-8")
        procedure = text.split("(procedure ISample::EchoHandlePtr) */")[1]
        value = procedure.split("(parameter value) */")[1].split("(parameter seen)")[0]
        return re.findall(r"/\* (FC_\w+) \*/", value)[0]  # the [in] parameter's base type

    assert {f: handle_ptr_format(f) for f in widlgen.FOLDERS} == {
        "gen32": "FC_LONG", "gen64": "FC_LONG", "gen64w": "FC_HYPER"}


def test_a_missing_widl_is_a_toolchain_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(widlgen.shutil, "which", lambda name: None)
    with pytest.raises(ToolchainError, match="widl: is not installed.*wine64-tools"):
        widlgen.generate()
