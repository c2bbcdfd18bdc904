from interopkit.sources import SOURCES, cite


def test_every_source_has_a_title_and_an_address() -> None:
    for key, (title, url) in SOURCES.items():
        assert key == key.upper() and title and url.startswith("https://")


def test_cite() -> None:
    assert cite("W64-RUN").startswith("[W64-RUN] Microsoft, Running 32-bit Applications, https://")
