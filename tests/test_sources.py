"""interopkit.sources, docs/sources.md made from it, and the citations that resolve there."""

import re
from pathlib import Path

import pytest

from interopkit.sources import OPEN_QUESTIONS, SOURCES, TAKES, cite, markdown


def test_every_source_has_a_title_and_an_address() -> None:
    for key, (title, url) in SOURCES.items():
        assert key == key.upper() and title and url.startswith("https://")


def test_cite() -> None:
    assert cite("W64-RUN").startswith("[W64-RUN] Microsoft, Running 32-bit Applications, https://")

ROOT = Path(__file__).resolve().parents[1]
# Words in parentheses shaped like a key that are not citations.
NOT_KEYS = {"MS-DOS", "UTF-8"}
TEXTS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("docs/*.md"), ROOT / "README.md",
                *ROOT.glob("interopkit/**/*.py")])


def test_docs_sources_is_made_from_the_module() -> None:
    assert (ROOT / "docs" / "sources.md").read_text(encoding="utf-8") == markdown()


def test_every_source_says_what_the_kit_takes_from_it() -> None:
    assert set(TAKES) == set(SOURCES)
    assert all(len(text) > 20 for text in TAKES.values())


def test_open_questions_cite_known_sources_and_real_notebooks() -> None:
    assert OPEN_QUESTIONS
    for question in OPEN_QUESTIONS:
        assert question.status in ("unverified", "disputed")
        assert set(question.keys) <= set(SOURCES), question.topic
        assert (ROOT / "notebooks" / f"{question.notebook}.ipynb").exists()


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_citations_resolve_to_the_kits_own_sources(path: Path) -> None:
    """A key in parentheses, such as (W64-IMPL), is a citation: it must be in docs/sources.md."""
    text = path.read_text(encoding="utf-8")
    cited = set(re.findall(r"\(([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\)", text)) - NOT_KEYS
    assert cited <= set(SOURCES), sorted(cited - set(SOURCES))


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_refers_to_a_fact_sheet_outside_the_repository(path: Path) -> None:
    """Learners have only the repository: every citation goes to interopkit.sources."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"FACTS|[Ff]act sheet|\.\./shared", text), path.name
