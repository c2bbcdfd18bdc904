"""The Binder environment is fully pinned and installs the kit itself."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BINDER = Path(__file__).resolve().parents[1] / "binder"


def requirements() -> dict[str, str]:
    lines = [line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    pins = {}
    for line in lines:
        if line and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)", line)
            assert match, f"not pinned to one exact version: {line!r}"
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_every_requirement_is_pinned_and_the_core_is_there() -> None:
    pins = requirements()
    for name in ("jupyterlab", "ipywidgets", "jupyterlab-widgets", "matplotlib", "pefile",
                 "unicorn", "capstone"):
        assert name in pins, name


def test_widget_front_end_matches_the_kernel_side() -> None:
    pins = requirements()
    assert pins["ipywidgets"].split(".")[0] == "8" and pins["jupyterlab-widgets"].startswith("3.")


def test_post_build_installs_the_kit_and_fails_loudly() -> None:
    script = (BINDER / "postBuild").read_text().splitlines()
    assert "set -e" in script
    assert any("pip install" in line and "-e ." in line for line in script)


# --- The Binder environment, built the way repo2docker builds it -------------------------------

ROOT = BINDER.parent
# What a repository copy leaves out when git cannot list the files (build output, local envs).
UNTRACKED = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
             ".ruff_cache", ".hypothesis", ".ipynb_checkpoints")
WIDGETS_LAB_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
CELL_TIMEOUT = 300  # seconds for one cell; quick mode keeps every cell well under this
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def runtime_version() -> tuple[int, int]:
    """The Python that repo2docker would use, from binder/runtime.txt (``python-X.Y``)."""
    text = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)(?:\.\d+)?", text)
    assert match, f"binder/runtime.txt should read python-X.Y, not {text!r}"
    return int(match.group(1)), int(match.group(2))


def copy_repository(destination: Path) -> None:
    """Copy what the repository holds (tracked files, plus new ones not ignored) to destination,
    as repo2docker copies the whole repository into the image."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True, timeout=60)
        names = [name for name in listed.stdout.decode().split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        names = []
    if not names:  # not a git checkout (an unpacked sdist or archive): copy the tree instead
        shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*UNTRACKED))
        return
    for name in names:
        source = ROOT / name
        if source.is_file():  # tracked files deleted in the work tree are gone from the image too
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def isolated_env(venv_bin: Path, scratch: Path) -> dict[str, str]:
    """The environment of a process in the Binder image: the venv first on PATH, and nothing from
    the test's own environment (its venv, user site-packages, Jupyter/IPython/matplotlib config)."""
    outer_bins = {str(Path(sys.prefix) / venv_bin.name)} if sys.prefix != sys.base_prefix else set()
    if os.environ.get("VIRTUAL_ENV"):
        outer_bins.add(str(Path(os.environ["VIRTUAL_ENV"]) / venv_bin.name))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "JUPYTER", "IPYTHON", "MPL", "CONDA", "VIRTUAL_ENV"))}
    path = [entry for entry in env.get("PATH", "").split(os.pathsep)
            if entry and entry not in outer_bins]
    env["PATH"] = os.pathsep.join([str(venv_bin), *path])
    env["VIRTUAL_ENV"] = str(venv_bin.parent)
    env["PYTHONNOUSERSITE"] = "1"
    env["INTEROPKIT_QUICK"] = "1"
    for key, folder in (("JUPYTER_CONFIG_DIR", "jupyter-config"),
                        ("JUPYTER_DATA_DIR", "jupyter-data"),
                        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
                        ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib")):
        (scratch / folder).mkdir(parents=True, exist_ok=True)
        env[key] = str(scratch / folder)
    return env


def run(what: str, command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """Run command; fail the test with its output if it fails or overruns."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} took more than {timeout:.0f} s: {' '.join(command)}")
    output = f"{done.stdout}\n{done.stderr}".strip()
    assert done.returncode == 0, (
        f"{what} failed (exit {done.returncode}): {' '.join(command)}\n{output[-4000:]}")
    return done


def cell_error(stderr: str) -> str:
    """The failing cell and its traceback from nbconvert's report, or the end of its stderr."""
    start = stderr.find("An error occurred while executing the following cell")
    for marker in ("CellTimeoutError", "Traceback (most recent call last)"):
        if start < 0:
            start = stderr.find(marker)
    return ANSI.sub("", stderr[start:] if start >= 0 else stderr)[-4000:]


@pytest.mark.slow
def test_binder_environment_builds_and_runs_every_notebook(tmp_path: Path) -> None:
    """Build binder/ in a fresh venv as repo2docker would (requirements.txt, then postBuild from
    the repository's root), then run every notebook there with that venv's own Jupyter."""
    major, minor = runtime_version()
    if sys.version_info[:2] == (major, minor):
        python = sys.executable
    else:
        python = shutil.which(f"python{major}.{minor}")
        if python is None:
            pytest.skip(f"binder/runtime.txt asks for Python {major}.{minor}, not on this machine")
    if shutil.which("bash") is None:
        pytest.skip("postBuild needs bash")

    repo = tmp_path / "repo"
    copy_repository(repo)
    for name in ("requirements.txt", "postBuild", "runtime.txt"):
        assert (repo / "binder" / name).is_file(), f"binder/{name} is not in the repository copy"
    venv = tmp_path / "env"
    run("creating the venv", [python, "-m", "venv", str(venv)], timeout=300)
    venv_bin = venv / ("Scripts" if os.name == "nt" else "bin")
    env = isolated_env(venv_bin, tmp_path / "home")
    venv_python = str(venv_bin / "python")

    version = run("asking the venv's Python its version",
                  [venv_python, "-c", "import sys; print(*sys.version_info[:2], sys.prefix)"],
                  timeout=60, env=env).stdout.split()
    assert (int(version[0]), int(version[1])) == (major, minor), (
        f"binder/runtime.txt asks for Python {major}.{minor}, the venv runs {version[:2]}")
    assert Path(version[2]).resolve() == venv.resolve(), f"not the fresh venv: {version[2]}"

    run("pip install -r binder/requirements.txt",
        [venv_python, "-m", "pip", "install", "--no-input", "-r", "binder/requirements.txt"],
        timeout=1800, cwd=repo, env=env)
    run("binder/postBuild", ["bash", "binder/postBuild"], timeout=900, cwd=repo, env=env)
    run("pip check", [venv_python, "-m", "pip", "check"], timeout=300, env=env)
    frozen = run("pip freeze", [venv_python, "-m", "pip", "freeze", "--exclude", "interopkit"],
                 timeout=300, env=env).stdout.splitlines()
    installed = {name.lower().replace("_", "-"): version for name, _, version
                 in (line.partition("==") for line in frozen if "==" in line)}
    pins = requirements()
    assert installed == pins, (
        "binder/requirements.txt is not the whole environment (unpinned packages rot): "
        f"installed but not pinned {sorted(set(installed.items()) - set(pins.items()))}, "
        f"pinned but not installed {sorted(set(pins.items()) - set(installed.items()))}")

    where = run("importing the kit in the Binder env",
                [venv_python, "-c", "import interopkit; print(interopkit.__file__)"],
                timeout=120, cwd=tmp_path, env=env).stdout.strip()
    assert Path(where).resolve().is_relative_to(repo.resolve()), (
        f"postBuild should install the repository's kit (editable), but it imports from {where}")

    specs = json.loads(run("listing the venv's kernels",
                           [venv_python, "-m", "jupyter", "kernelspec", "list", "--json"],
                           timeout=120, env=env).stdout)["kernelspecs"]
    assert "python3" in specs, f"the Binder env has no python3 kernel: {sorted(specs)}"
    kernel = specs["python3"]["spec"]["argv"][0]
    # A bare "python" in kernel.json means the Python that launches it: the venv's own.
    ours = (kernel in ("python", f"python{major}", f"python{major}.{minor}")
            or Path(kernel).parent.resolve() == venv_bin.resolve())
    assert ours and Path(specs["python3"]["resource_dir"]).resolve().is_relative_to(
        venv.resolve()), f"the python3 kernel is not the Binder venv's: {specs['python3']}"

    extensions = run("jupyter labextension list",
                     [venv_python, "-m", "jupyter", "labextension", "list"],
                     timeout=300, env=env)
    listing = ANSI.sub("", f"{extensions.stdout}\n{extensions.stderr}")
    widgets = [line for line in listing.splitlines() if WIDGETS_LAB_EXTENSION in line]
    assert widgets and all(re.search(r"\benabled\b.*\bOK\b", line) for line in widgets), (
        f"JupyterLab in the Binder env lacks the widgets front end (widgets would show as text):"
        f"\n{listing.strip()}")

    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks to run"
    executed = tmp_path / "executed"
    failures = []
    for notebook in notebooks:
        command = [venv_python, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                   f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}", "--output-dir", str(executed),
                   str(notebook)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=env,
                                  cwd=notebook.parent, timeout=CELL_TIMEOUT * 6)
        except subprocess.TimeoutExpired:
            failures.append(f"{notebook.name}: took more than {CELL_TIMEOUT * 6} s in all")
            continue
        if done.returncode != 0:
            failures.append(f"{notebook.name} (exit {done.returncode}):\n{cell_error(done.stderr)}")
        elif not (executed / notebook.name).is_file():
            failures.append(f"{notebook.name}: nbconvert wrote no executed notebook")
    assert not failures, "notebooks failing in the Binder environment:\n\n" + "\n\n".join(failures)
