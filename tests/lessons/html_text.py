"""The text of an HTML table, for assertions on what a lesson shows."""

import re


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)
