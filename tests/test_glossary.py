"""docs/glossary.md defines every term the course uses and names the notebook teaching it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
ROWS = [line for line in GLOSSARY.splitlines() if line.startswith("| <a id=")]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# The words issue 15 found used before they were defined, and the ones every lesson leans on.
TERMS = ["COM", "CLSID", "AppID", "IID", "proxy", "stub", "marshaling", "RPC", "LRPC", "ALPC",
         "NDR", "transfer syntax", "MIDL", "IDL", "surrogate", "dllhost", "WOW64", "thunk",
         "CHPE", "ARM64EC", "ARM64X", "ARMNT", "large-address-aware", "PE32", "PE32+",
         "ELF class", "calling convention", "shadow space", "handle", "HANDLE_PTR", "__int3264",
         "bitness", "redirector", "Wow6432Node", "Sysnative", "sign extension"]


def test_glossary_rows_have_a_term_a_definition_and_a_notebook() -> None:
    assert len(ROWS) >= 40
    for row in ROWS:
        term, definition, taught = row.strip("| ").split(" | ")
        assert len(definition) > 40, term
        for link in re.findall(r"\]\(\.\./notebooks/([\w.]+)\)", taught):
            assert (ROOT / "notebooks" / link).exists(), link
        assert "../notebooks/" in taught, term


@pytest.mark.parametrize("term", TERMS)
def test_every_term_is_defined(term: str) -> None:
    terms = [row.split(" | ")[0].split("</a>")[1] for row in ROWS]
    assert any(re.search(rf"(^|[ `,]){re.escape(term)}([ `,]|$)", t) for t in terms), term


def test_terms_are_in_alphabetical_order() -> None:
    terms = [row.split(" | ")[0].split("</a>")[1].strip("` ").lower() for row in ROWS]
    key = [re.sub(r"^[^a-z]+", "", t) for t in terms]
    assert key == sorted(key)


@pytest.mark.parametrize("path", [ROOT / "README.md", *NOTEBOOKS], ids=lambda p: p.name)
def test_glossary_and_sources_are_linked(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "docs/glossary.md" in text and "docs/sources.md" in text
