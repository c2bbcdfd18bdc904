"""A Sphinx extension for the lesson pages: the notebooks' furniture in boxes.

The notebooks follow one shape (TEACHING.md): a "**You will:**" list of objectives under the
title, exercises introduced by "**q1.**" and checked by a cell calling ``q1_....check(answer)``,
a collapsed cell running the worked solution, and a closing "Key points" section. Read from the
page as MyST-NB parsed it, without touching the notebooks, each becomes a box:

    objectives   the "You will:" list, in a tip box
    exercise     the question text before each checking cell, in a note box
    solution     the solution cell that ``source.with_solutions`` added, behind a toggle
                 (sphinx-togglebutton collapses admonitions of class ``dropdown``)
    key points   the body of the "Key points" section, in an important box
    widget       an interactive explorer (it needs a kernel), replaced by a note saying so

A lesson that lacks one of these simply gets no box for it.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx import addnodes

from interopkit.site.source import SOLUTION_TAG

__all__ = ["WIDGET_NOTE", "box_lesson", "setup"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("JupyterLab shows a widget here (an explorer, a slider or a progress bar): it "
               "needs a running kernel, which a web page does not have. Open this lesson in "
               "JupyterLab to use it: ")
_CHECK = re.compile(r"(\w+)\.check\(")
_QUESTION = re.compile(r"^([qm]\d+)\.$")  # q1. an exercise, m1. a quiz on a misconception


def setup(app: Any) -> dict[str, Any]:
    """Register the boxes (called by Sphinx)."""
    app.connect("doctree-read", _on_doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}


def _on_doctree_read(app: Any, doctree: nodes.document) -> None:
    if app.env.docname.startswith("notebooks/"):
        box_lesson(doctree)


def box_lesson(doctree: nodes.Node) -> None:
    """Put a lesson page's objectives, exercises, solutions, key points and widgets in boxes."""
    for bundle in list(doctree.findall(_is_widget_bundle)):
        bundle.replace_self(_box("note", "Interactive", [_widget_note()], "widget-note"))
    for paragraph in list(doctree.findall(nodes.paragraph)):
        if paragraph.astext().strip() == "You will:" and paragraph.parent is not None:
            _box_objectives(paragraph)
    for cell in list(doctree.findall(_is_solution_cell)):
        name = cell.get("cell_metadata", {}).get("name") or _solution_name(cell)
        cell.replace_self(_box("tip", f"Solution to {name} (try it first)", [cell.deepcopy()],
                               "dropdown", "solution"))
    for section in list(doctree.findall(nodes.section)):
        title = section[0].astext() if section.children else ""
        if title == "Key points":
            body = section.children[1:]
            section.children = section.children[:1]
            section += _box("important", "In short", [n.deepcopy() for n in body], "key-points")
        else:  # exercises sit in their section, and the capstone has one in each step
            _box_exercises(section)


def _widget_note() -> nodes.paragraph:
    # A cross-reference, so that Sphinx resolves it (and -W fails the build if it cannot).
    link = addnodes.pending_xref("", nodes.inline(text="run the lessons yourself"),
                                 refdomain="std", reftype="doc", reftarget="/launch",
                                 refexplicit=True, refwarn=True)
    return nodes.paragraph("", "", nodes.Text(WIDGET_NOTE), link, nodes.Text("."))


def _is_widget_bundle(node: nodes.Node) -> bool:
    return (isinstance(node, nodes.container) and node.get("nb_element") == "mime_bundle"
            and any(child.get("mime_type") == WIDGET_MIME for child in node.children))


def _is_solution_cell(node: nodes.Node) -> bool:
    return (isinstance(node, nodes.container) and node.get("nb_element") == "cell_code"
            and f"tag_{SOLUTION_TAG}" in node["classes"])


def _solution_name(cell: nodes.Node) -> str:
    # The added cell shows ``q1_machine.solution()``'s output: "Solution to q1_machine ...".
    match = re.search(r"Solution to (\w+)", cell.astext())
    return match.group(1) if match else "this exercise"


def _box(kind: str, title: str, body: list[nodes.Node], *classes: str) -> nodes.admonition:
    box = nodes.admonition(classes=[kind, *classes])
    box += nodes.title(text=title)
    box.extend(body)
    return box


def _box_objectives(paragraph: nodes.paragraph) -> None:
    parent = paragraph.parent
    index = parent.index(paragraph)
    following = parent.children[index + 1] if index + 1 < len(parent.children) else None
    if not isinstance(following, nodes.bullet_list):
        return
    parent.remove(following)
    paragraph.replace_self(_box("tip", "You will", [following], "objectives"))


def _box_exercises(section: nodes.section) -> None:
    """Each exercise's text becomes a box: a run of text opening with a bold "q1." ends at the
    next cell (which may set the exercise up); a run without one is boxed only when a checking
    cell follows it (notebook 00's single exercise)."""
    run: list[nodes.Node] = []
    for child in list(section.children[1:]):
        if isinstance(child, nodes.container) and child.get("nb_element") == "cell_code":
            match = _CHECK.search(child.astext())
            # Text before the question's bold label (a subsection's introduction) stays out.
            run = run[max((i for i, node in enumerate(run) if _label(node)), default=0):]
            label = _label(run[0]) if run else None
            if run and (label or match):
                box = _box("note", f"Exercise {label or match.group(1)}",
                           [node.deepcopy() for node in run], "exercise")
                section.insert(section.index(run[0]), box)
                for node in run:
                    section.remove(node)
            run = []
        elif isinstance(child, (nodes.paragraph, nodes.bullet_list, nodes.enumerated_list,
                                nodes.literal_block, nodes.table, nodes.block_quote)):
            run.append(child)
        else:
            run = []


def _label(paragraph: nodes.Node) -> str | None:
    """``q1`` from a question that opens with a bold "q1."."""
    if not isinstance(paragraph, nodes.paragraph):
        return None
    first = next((child for child in paragraph.children if child.astext().strip()), None)
    match = _QUESTION.match(first.astext().strip()) if isinstance(first, nodes.strong) else None
    return match.group(1) if match else None
