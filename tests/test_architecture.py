"""The package's layout shows the course: subpackages named for its concepts, no import circle
between them, tools that never import the lessons or the notebook libraries, and command-line
verbs that load no notebook library."""

import ast
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import interopkit

PACKAGE = Path(interopkit.__file__).parent
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
NOTEBOOK_LIBRARIES = ("matplotlib", "ipywidgets", "IPython")
# Where the tools may reach the notebook libraries: the charts of ``interopkit bench --plot``.
PLOTTING = {"bench/plots.py"}


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import of a file, made absolute."""
    module = ".".join(("interopkit", *path.relative_to(PACKAGE).with_suffix("").parts))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    top |= {id(n) for node in tree.body if isinstance(node, ast.If) for n in node.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found += [(f"{base}.{alias.name}" if not node.module else base, id(node) in top)
                      for alias in node.names]
    return found


def subpackage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "interopkit" and len(parts) > 2 and parts[1] in SUBPACKAGES \
        else None


def test_ls_interopkit_shows_the_architecture() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= 12, loose
    assert {"images", "loading", "wow64", "emulation", "surrogate", "com", "ndr", "bench",
            "kit", "lessons"} <= set(SUBPACKAGES)


def test_no_import_circle_between_subpackages() -> None:
    graph: dict[str, set[str]] = {name: set() for name in SUBPACKAGES}
    for path in PACKAGE.rglob("*.py"):
        source = subpackage_of(".".join(("interopkit",
                                         *path.relative_to(PACKAGE).with_suffix("").parts)))
        for module, _ in imports_of(path):
            target = subpackage_of(module)
            if source and target and target != source:
                graph[source].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n}))
                   for n in graph[start])

    circles = [name for name in SUBPACKAGES if reaches(name, name, {name})]
    assert circles == [], {name: sorted(graph[name]) for name in circles}
    assert all("lessons" not in graph[n] for n in graph), "a tool imports the lessons"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_tools_import_neither_lessons_nor_notebook_libraries(path: Path) -> None:
    name = path.relative_to(PACKAGE).as_posix()
    if name.startswith("lessons/") or name in PLOTTING:
        return
    for module, top_level in imports_of(path):
        if name == "cli.py" and not top_level:
            continue  # the `solutions` and `bench --plot` verbs load what they show, when asked
        if name == "doctor.py" and not top_level and module.split(".")[0] in NOTEBOOK_LIBRARIES:
            continue  # the setup check tries the notebook libraries themselves
        assert not module.startswith("interopkit.lessons"), (name, module)
        assert module.split(".")[0] not in NOTEBOOK_LIBRARIES, (name, module)


VERBS = [["inspect", "{dll}", "--json"], ["scan", "{folder}", "--json"],
         ["can-load", "{dll}", "--process", "x64", "--json"], ["check", "{exe}", "--json"],
         ["lint", "{idl}", "--json"], ["wire", "DWORD_PTR", "0x123456789", "--from", "64",
                                       "--to", "32"],
         ["emulate", "{dll}", "add", "2", "3"],
         ["surrogate", "call", "{dll}", "add", "2", "3", "--kind", "emulated"],
         ["can-load", "{dll}", "--process", "x86", "--try", "--json"],
         ["redirect", "C:\\Windows\\System32\\kernel32.dll", "--process", "x86", "--json"],
         ["redirect", "C:\\Windows\\System32\\kernel32.dll", "--process", "x86", "--try",
          "--json"],
         # Installs nothing: INTEROPKIT_NO_INSTALL is set for every verb below (where Wine is
         # set up, wine-setup only checks the prefix and runs the probe in both bitnesses).
         ["wine-setup", "--json"]]


def _verb_id(verb: list[str]) -> str:
    return ("call" if verb[0] == "surrogate" else verb[0]) + ("-try" if "--try" in verb else "")


@pytest.mark.parametrize("verb", VERBS, ids=_verb_id)
def test_command_line_verbs_load_no_notebook_library(verb: list[str]) -> None:
    """What ``python -X importtime`` would show, read from sys.modules after the verb ran."""
    from interopkit.kit.samples import data_dir, probe_path, sample_path

    values = {"dll": str(sample_path("windows", "x86")), "folder": str(data_dir() / "samples"),
              "exe": str(probe_path("probe_x64.exe")),
              "idl": str(data_dir() / "idl" / "scanner_ported.idl")}
    args = [part.format(**values) for part in verb]
    code = ("import contextlib, io, json, sys\n"
            "from interopkit.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    code = main({args!r})\n"
            f"print(json.dumps([code, sorted(m for m in {NOTEBOOK_LIBRARIES!r} "
            "if m in sys.modules)]))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False,
                            env={**os.environ, "INTEROPKIT_NO_INSTALL": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    status, loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert status in (0, 1), (status, result.stderr[-500:])
    assert loaded == [], f"{verb[0]} loaded {loaded}"


def test_no_two_test_files_share_a_name() -> None:
    # pytest imports test files by their base name (the tests are not packages): two files of
    # one name in different folders stop the whole run at collection.
    names = Counter(path.name for path in Path(__file__).parent.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
