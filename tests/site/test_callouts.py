"""The boxes, on doctrees shaped as MyST-NB makes them from a lesson (the whole site's build, in
tests/test_site.py, checks them on the real lessons)."""

from types import SimpleNamespace

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.utils import new_document
from sphinx import addnodes

from interopkit.site import callouts
from interopkit.site.callouts import WIDGET_MIME, box_lesson
from interopkit.site.source import SOLUTION_TAG


def _section(title: str, *children: nodes.Node) -> nodes.section:
    section = nodes.section()
    section += nodes.title(text=title)
    section.extend(children)
    return section


def _para(text: str, label: str | None = None) -> nodes.paragraph:
    # MyST-NB leaves an empty text node before a paragraph's first inline node.
    parts = [nodes.Text(""), nodes.strong(text=label), nodes.Text(" ")] if label else []
    return nodes.paragraph("", "", *parts, nodes.Text(text))


def _list(*items: str) -> nodes.bullet_list:
    return nodes.bullet_list("", *(nodes.list_item("", nodes.paragraph(text=i)) for i in items))


def _cell(code: str, *tags: str, output: nodes.Node | None = None) -> nodes.container:
    cell = nodes.container(nb_element="cell_code", classes=["cell", *(f"tag_{t}" for t in tags)],
                           cell_metadata={"tags": list(tags)})
    cell += nodes.container("", nodes.literal_block(text=code), nb_element="cell_code_source")
    if output is not None:
        cell += nodes.container("", output, nb_element="cell_code_output")
    return cell


def _widget() -> nodes.container:
    return nodes.container("", nodes.container("", nodes.raw(text="<script/>", format="html"),
                                               mime_type=WIDGET_MIME),
                           nodes.container("", nodes.literal_block(text="VBox(children=...)"),
                                           mime_type="text/plain"), nb_element="mime_bundle")


def _lesson() -> nodes.document:
    document = new_document("lesson", get_default_settings())
    document += _section(
        "01 · A lesson", _para("Intro."), _para("You will:"), _list("read", "explain"),
        _section("9. Try it", _cell("explorer()", output=_widget())),
        _section("10. Exercises",
                 _para("Read the field.", "q1."), _cell("q1_machine.check(answer)"),
                 _cell("q1_machine.verify_solution()", "hide-cell"),
                 _cell("q1_machine.solution()", "remove-input", SOLUTION_TAG,
                       output=nodes.paragraph(text="Solution to q1_machine ...")),
                 _para("Which files hold 64-bit code?", "q2."), _cell("mystery = build()"),
                 _cell("q2_sixty_four.check(answer)"),
                 _para("Some closing remark."), _cell("print('not an exercise')")),
        _section("Key points", _list("one", "two")))
    return document


def _boxes(document: nodes.Node) -> dict[str, nodes.admonition]:
    return {box[0].astext(): box for box in document.findall(nodes.admonition)}


def test_each_part_of_a_lesson_gets_its_box() -> None:
    document = _lesson()
    box_lesson(document)
    boxes = _boxes(document)
    assert set(boxes) == {"You will", "Interactive", "Exercise q1", "Exercise q2",
                          "Solution to q1_machine (try it first)", "In short"}
    assert boxes["You will"]["classes"] == ["tip", "objectives"]
    assert boxes["You will"].astext().split() == ["You", "will", "read", "explain"]
    assert "dropdown" in boxes["Solution to q1_machine (try it first)"]["classes"]
    assert boxes["Exercise q2"].astext().endswith("Which files hold 64-bit code?")
    assert boxes["In short"].parent[0].astext() == "Key points"  # the section stays


def test_the_quizzes_of_check_your_understanding_get_their_boxes() -> None:
    # The quizzes on misconceptions close a lesson's exercises, in a subsection of their own.
    document = new_document("lesson", get_default_settings())
    document += _section(
        "02 · A lesson",
        _section("9. Exercises", _para("Where does it land?", "q1."),
                 _cell("q1_installer_file.check(answer)"),
                 _section("Check your understanding", _para("Short questions."),
                          _para("Which folder?", "m1."), _list("(a) one", "(b) two"),
                          _cell("m1_system32.check(answer)"),
                          _cell("m1_system32.verify_solution()", "hide-cell"))))
    box_lesson(document)
    boxes = _boxes(document)
    assert set(boxes) == {"Exercise q1", "Exercise m1"}
    assert "Short questions" not in boxes["Exercise m1"].astext()  # the introduction stays out
    assert boxes["Exercise m1"].astext().endswith("(b) two")
    assert not any("closing remark" in box.astext() for box in boxes.values())
    assert "You will:" not in document.astext()


def test_a_widget_becomes_a_note_linking_to_the_launch_page() -> None:
    document = _lesson()
    box_lesson(document)
    assert "VBox(children=" not in document.astext()
    note = _boxes(document)["Interactive"]
    link = next(note.findall(addnodes.pending_xref))
    assert (link["reftype"], link["reftarget"]) == ("doc", "/launch")


def test_nothing_is_boxed_that_does_not_have_the_lesson_shape() -> None:
    document = new_document("page", get_default_settings())
    document += _section("A page", _para("You will:"), _para("not a list"),
                         _section("Exercises", _para("Just prose."), _cell("x = 1")),
                         _section("Key points of view"))
    box_lesson(document)
    assert _boxes(document) == {}


def test_only_lesson_pages_get_boxes() -> None:
    for docname, boxed in (("docs/instructor_guide", False), ("notebooks/01_x", True)):
        document = _lesson()
        callouts._on_doctree_read(SimpleNamespace(env=SimpleNamespace(docname=docname)),
                                  document)
        assert bool(_boxes(document)) is boxed, docname
