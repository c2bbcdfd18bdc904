"""A class on one machine: a real JupyterHub started from ``classroom/jupyterhub_config.py``.

The hub runs on 127.0.0.1 (free ports chosen at run time) behind a real configurable-http-proxy,
which is installed here with ``npm install --prefix ~/.cache/interopkit/chp`` when it is missing
(set ``INTEROPKIT_NO_INSTALL=1`` to forbid that); the tests skip, saying why, only when Node/npm
are missing or the install fails. The command line overrides only what a test machine must: the
authenticator (DummyAuthenticator: any name, any password), the spawner (SimpleLocalProcessSpawner:
servers run as the hub's own user, with homes under the test's temporary folder), the ports and
the proxy's path. Everything else (JupyterLab as the landing page, the server command, the idle
culling arguments, the kit's environment) comes from the classroom file.

Three learners log in through the hub's login form (with its XSRF token, as a browser does), get
an API token from the hub, start their servers at once, and run every code cell of notebook 00 in
a kernel of their own server, all three at the same moment, over the kernel websocket. One learner
then follows an nbgitpuller link to a local clone of this repository. The hub is stopped with
SIGTERM at the end, and the module fails if any process it started outlives it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import psutil
import pytest
import requests
import websocket
from conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
NOTEBOOK = ROOT / "notebooks" / "00_start_here.ipynb"
CHP_VERSION = "5.3.0"
LEARNERS = ("ada", "grace", "linus")
HUB_START_S = 60
SPAWN_S = 120
CELL_S = 120
HTTP_S = 30
STOP_S = 60
# The memory docs/jupyterhub.md tells an instructor to plan per active learner (their server and
# kernel), in MiB; one learner's RSS after notebook 00 must stay below it.
PLANNED_MIB_PER_LEARNER = 400

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="JupyterHub's local spawners, and this test's "
                       "cleanup by process group, need a POSIX system"),
]


def _proxy_command() -> str:
    """configurable-http-proxy from the kit's cache, installed there with npm if need be."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "interopkit" / "chp"
    command = cache / "node_modules" / ".bin" / "configurable-http-proxy"
    installed = cache / "node_modules" / "configurable-http-proxy" / "package.json"
    if installed.is_file() and json.loads(installed.read_text())["version"] == CHP_VERSION:
        return str(command)
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("configurable-http-proxy needs Node.js and npm, which are not installed "
                    "(apt-get install nodejs npm)")
    if os.environ.get("INTEROPKIT_NO_INSTALL"):
        pytest.skip(f"configurable-http-proxy is not in {cache} and INTEROPKIT_NO_INSTALL is set")
    install = [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
               f"configurable-http-proxy@{CHP_VERSION}"]
    try:
        done = subprocess.run(install, capture_output=True, text=True, timeout=300, check=False)
        ran = subprocess.run([str(command), "--version"], capture_output=True, text=True,
                             timeout=60, check=False) if done.returncode == 0 else done
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"installing configurable-http-proxy with npm failed: {exc}")
    if ran.returncode != 0:
        pytest.skip(f"installing configurable-http-proxy with npm failed: {ran.stderr[-400:]}")
    return str(command)


@dataclass
class Hub:
    """A running hub: its address, process, log and the learners' homes."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    homes: Path
    seen: set[psutil.Process] = field(default_factory=set)
    """Every process seen under the hub, to check that none outlives it."""

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def descendants(self) -> list[psutil.Process]:
        """The hub's processes now (proxy, servers, kernels), remembered for the final check."""
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        self.seen.update(found)
        return found

    def server_of(self, name: str) -> psutil.Process:
        """The single-user server process of one learner."""
        for proc in self.descendants():
            try:
                if proc.ppid() == self.process.pid and \
                        proc.environ().get("JUPYTERHUB_USER") == name:
                    return proc
            except psutil.Error:
                continue
        raise AssertionError(f"no server process for {name}\n{self.log_tail()}")


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(proc: psutil.Process) -> str:
    try:
        return f"{proc.pid} {' '.join(proc.cmdline()[:4])}"
    except psutil.Error:
        return str(proc.pid)


def _kill_group(proc: psutil.Process) -> None:
    """SIGKILL a leftover process and its process group (never the test's own group)."""
    try:
        group = os.getpgid(proc.pid)
        if group != os.getpgrp():
            os.killpg(group, signal.SIGKILL)
        proc.kill()
    except (ProcessLookupError, psutil.Error):
        pass


def _stop(hub: Hub) -> list[str]:
    """SIGTERM the hub (which stops the servers and the proxy); return what outlived it."""
    hub.descendants()
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
    try:
        hub.process.wait(timeout=STOP_S)
    except subprocess.TimeoutExpired:
        os.killpg(hub.process.pid, signal.SIGKILL)
        hub.process.wait(timeout=10)
    _, alive = psutil.wait_procs(list(hub.seen), timeout=10)
    # _alive also rules out a pid that a new, unrelated process has taken since.
    alive = [proc for proc in alive if _alive(proc)]
    leftovers = [_describe(proc) for proc in alive]
    for proc in alive:
        _kill_group(proc)
    psutil.wait_procs(alive, timeout=10)
    return leftovers


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    proxy = _proxy_command()
    work = tmp_path_factory.mktemp("hub")
    homes = work / "homes"
    port, hub_port, api_port = free_port(), free_port(), free_port()
    # Servers run as the hub's user here; as root, Jupyter Server refuses to start unless it is
    # allowed to. Each home's own Jupyter config says so, because a command-line Spawner.args
    # would replace the classroom file's culling arguments instead of adding to them.
    if os.geteuid() == 0:
        for name in LEARNERS:
            config = homes / name / ".jupyter"
            config.mkdir(parents=True)
            (config / "jupyter_server_config.json").write_text(
                json.dumps({"ServerApp": {"allow_root": True}}))
    command = [
        sys.executable, "-m", "jupyterhub", "-f", str(CONFIG),
        "--JupyterHub.authenticator_class=dummy",
        "--JupyterHub.spawner_class=simple",
        f"--SimpleLocalProcessSpawner.home_dir_template={homes}/{{username}}",
        f"--JupyterHub.bind_url=http://127.0.0.1:{port}",
        f"--JupyterHub.hub_port={hub_port}",
        f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}",
        f"--ConfigurableHTTPProxy.command={proxy}",
    ]
    # A hub started from inside another hub must not pick up that hub's secrets.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTERHUB_", "JPY_", "CONFIGPROXY_"))}
    log = work / "hub.log"
    with log.open("wb") as out:
        # The database, cookie secret and pid files land in the working directory, as on a server.
        process = subprocess.Popen(command, cwd=work, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    running = Hub(f"http://127.0.0.1:{port}", process, log, homes)
    try:
        deadline = time.monotonic() + HUB_START_S
        while True:
            assert process.poll() is None, f"the hub exited:\n{running.log_tail()}"
            assert time.monotonic() < deadline, f"no hub after {HUB_START_S} s\n" \
                f"{running.log_tail()}"
            try:
                if requests.get(f"{running.url}/hub/api/", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.3)
        yield running
    finally:
        leftovers = _stop(running)
    assert not leftovers, f"processes outlived the hub: {leftovers}\n{running.log_tail()}"


@dataclass
class Learner:
    """A logged-in learner: a browser-like session (cookies) and an API token from the hub."""

    name: str
    session: requests.Session
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


def _log_in(hub: Hub, name: str) -> Learner:
    """Log in through the form, as a browser does, then ask the hub for an API token."""
    session = requests.Session()
    try:
        page = session.get(f"{hub.url}/hub/login", timeout=HTTP_S)
        assert page.status_code == 200, page.text[:500]
        form_xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        assert form_xsrf, "the login form carries no XSRF token"
        done = session.post(f"{hub.url}/hub/login", timeout=HTTP_S, allow_redirects=False,
                            data={"username": name, "password": "any", "_xsrf": form_xsrf[1]})
        assert done.status_code == 302, f"login of {name}: {done.status_code} {done.text[:300]}"
        assert session.cookies.get("jupyterhub-hub-login"), "no login cookie"
        # The token page's request: cookie authentication plus the XSRF header.
        made = session.post(f"{hub.url}/hub/api/users/{name}/tokens", timeout=HTTP_S,
                            headers={"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/")},
                            json={"note": "smoke test", "expires_in": 3600})
        assert made.status_code == 201, made.text[:300]
        return Learner(name, session, made.json()["token"])
    except BaseException:
        session.close()
        raise


@pytest.fixture(scope="module")
def learners(hub: Hub) -> Iterator[dict[str, Learner]]:
    """Three learners logged in, their servers started at the same time and ready."""
    logged: dict[str, Learner] = {}
    try:
        for name in LEARNERS:
            logged[name] = _log_in(hub, name)
        # All at once, as a class does: the hub holds each request for up to 10 s
        # (slow_spawn_timeout) while that server starts, so one after another would not overlap.
        asked_at = time.monotonic()
        with ThreadPoolExecutor(len(logged)) as pool:
            asked = list(pool.map(lambda learner: learner.session.post(
                f"{hub.url}/hub/api/users/{learner.name}/server", headers=learner.auth,
                timeout=HTTP_S), logged.values()))
        assert all(reply.status_code in (201, 202) for reply in asked), \
            [(reply.status_code, reply.text[:200]) for reply in asked]
        deadline = asked_at + SPAWN_S
        waiting = set(logged)
        while waiting:
            assert time.monotonic() < deadline, \
                f"servers of {sorted(waiting)} not ready after {SPAWN_S} s\n{hub.log_tail()}"
            for name in sorted(waiting):
                model = logged[name].session.get(f"{hub.url}/hub/api/users/{name}",
                                                 headers=logged[name].auth, timeout=HTTP_S)
                assert model.status_code == 200, model.text[:300]
                server = model.json()["servers"].get("")
                # A failed spawn removes the server from the model: no need to wait longer.
                assert server, f"the server of {name} failed to start\n{hub.log_tail()}"
                if server["ready"]:
                    waiting.discard(name)
            time.sleep(0.5)
        print(f"{len(logged)} servers started together in {time.monotonic() - asked_at:.1f} s")
        hub.descendants()
        yield logged
    finally:
        for learner in logged.values():
            learner.session.close()


def test_login_lands_in_jupyterlab_on_a_server_configured_by_the_classroom_file(
        hub: Hub, learners: dict[str, Learner]) -> None:
    for name, learner in learners.items():
        # The browser path: the server sends the learner through the hub's OAuth and back.
        page = learner.session.get(f"{hub.url}/user/{name}/", timeout=HTTP_S)
        assert page.status_code == 200
        assert urlsplit(page.url).path == f"/user/{name}/lab", page.url
        assert "JupyterLab" in page.text
        args = hub.server_of(name).cmdline()
        assert args[1:3] == ["-m", "jupyterhub.singleuser"], args
        assert any(arg.startswith("--ServerApp.shutdown_no_activity_timeout=") for arg in args)
        assert "--MappingKernelManager.cull_connected=True" in args
    # A learner's token opens their own server and no one else's.
    ada, grace = learners["ada"], learners["grace"]
    own = ada.session.get(f"{hub.url}/user/ada/api/status", headers=ada.auth, timeout=HTTP_S)
    assert own.status_code == 200, own.text[:300]
    other = requests.get(f"{hub.url}/user/grace/api/status", headers=ada.auth, timeout=HTTP_S,
                         allow_redirects=False)
    assert other.status_code == 403, other.status_code
    theirs = grace.session.get(f"{hub.url}/user/grace/api/status", headers=grace.auth,
                               timeout=HTTP_S)
    assert theirs.status_code == 200


@dataclass
class Reply:
    """What one execute_request gave back: the reply status and the text of its outputs."""

    status: str
    text: str


def _execute(ws: websocket.WebSocket, code: str, session_id: str) -> Reply:
    """Send one execute_request on the kernel websocket and collect its outputs until idle."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session_id,
                   "username": "", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    status, idle, text = "", False, []
    deadline = time.monotonic() + CELL_S
    while not (status and idle):
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        frame = ws.recv()  # raises WebSocketTimeoutException at the deadline
        if not isinstance(frame, str):
            continue  # a binary frame: a widget message with buffers
        msg = json.loads(frame)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "execute_reply":
            status = content["status"]
        elif kind == "status":
            idle = content["execution_state"] == "idle"
        elif kind == "stream":
            text.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            text.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            text.append(f"{content['ename']}: {content['evalue']}")
    return Reply(status, "".join(text))


@dataclass
class Run:
    """One learner's run of the notebook: replies, timings and the memory of their processes."""

    replies: list[Reply]
    probe: dict[str, Any]
    failing: Reply
    started: float
    ended: float
    rss_mib: float
    pss_mib: float


def _memory(root: psutil.Process) -> tuple[float, float]:
    """RSS and PSS (shared pages split between their users) of a process tree, in MiB."""
    rss = pss = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20


PROBE = """import json, os, sys, interopkit
print(json.dumps({"home": os.environ["HOME"], "python": sys.executable,
                  "version": interopkit.__version__,
                  "quick": os.environ.get("INTEROPKIT_QUICK")}))"""


def _run_notebook(hub: Hub, learner: Learner, cells: list[str], start: threading.Barrier) -> Run:
    """Start a kernel on the learner's server, run the cells over its websocket, measure."""
    api = f"{hub.url}/user/{learner.name}/api/kernels"
    try:
        made = learner.session.post(api, headers=learner.auth, json={"name": "python3"},
                                    timeout=HTTP_S)
        assert made.status_code == 201, made.text[:300]
    except BaseException:
        start.abort()  # the other learners stop waiting for this one
        raise
    kernel = made.json()["id"]
    session_id = uuid.uuid4().hex
    ws_url = f"{hub.url.replace('http', 'ws', 1)}/user/{learner.name}/api/kernels/{kernel}/" \
             f"channels?session_id={session_id}"
    ws = None
    try:
        ws = websocket.create_connection(ws_url, timeout=HTTP_S,
                                         header=[f"Authorization: token {learner.token}"])
        start.wait(timeout=HTTP_S)
        started = time.monotonic()
        replies = [_execute(ws, code, session_id) for code in cells]
        ended = time.monotonic()
        probe = _execute(ws, PROBE, session_id)
        rss, pss = _memory(hub.server_of(learner.name))
        failing = _execute(ws, "raise ValueError('on purpose')", session_id)
    except BaseException:
        start.abort()
        raise
    finally:
        if ws is not None:
            ws.close()
        learner.session.delete(f"{api}/{kernel}", headers=learner.auth, timeout=HTTP_S)
    assert probe.status == "ok", probe.text
    return Run(replies, json.loads(probe.text), failing, started, ended, rss, pss)


def test_three_learners_run_notebook_00_at_the_same_time(
        hub: Hub, learners: dict[str, Learner], record_property: Any) -> None:
    notebook = json.loads(NOTEBOOK.read_text())
    cells = ["".join(cell["source"]) for cell in notebook["cells"]
             if cell["cell_type"] == "code"]
    assert len(cells) >= 5
    start = threading.Barrier(len(learners))
    with ThreadPoolExecutor(len(learners)) as pool:
        futures = {name: pool.submit(_run_notebook, hub, learner, cells, start)
                   for name, learner in learners.items()}
        runs = {name: future.result(timeout=len(cells) * CELL_S + 2 * HTTP_S)
                for name, future in futures.items()}
    for name, run in runs.items():
        bad = [(i, reply) for i, reply in enumerate(run.replies) if reply.status != "ok"]
        assert not bad, f"{name}: cells that failed: {bad}"
        text = "".join(reply.text for reply in run.replies)
        # Real results of the kit on this machine: the host's own report and the x86 sample.
        assert re.search(r"this Python: (32|64)-bit on ", text), text[:1000]
        assert "I386 32 dll" in text, text[:1000]
        assert run.probe["home"] == str(hub.homes / name)
        assert Path(run.probe["python"]).resolve() == Path(sys.executable).resolve()
        assert run.probe["quick"] == os.environ.get("INTEROPKIT_QUICK")
        # The runner sees a failing cell as a failure.
        assert run.failing.status == "error" and "on purpose" in run.failing.text
        record_property(f"{name}_rss_mib", round(run.rss_mib))
        record_property(f"{name}_pss_mib", round(run.pss_mib))
        print(f"{name}: notebook 00 in {run.ended - run.started:.1f} s; server and kernel "
              f"RSS {run.rss_mib:.0f} MiB, PSS {run.pss_mib:.0f} MiB")
        assert run.rss_mib < PLANNED_MIB_PER_LEARNER
    # All three runs were under way at the same moment.
    assert max(run.started for run in runs.values()) < min(run.ended for run in runs.values())


def test_an_nbgitpuller_link_clones_the_kit_into_the_learners_home(
        hub: Hub, learners: dict[str, Learner], tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("nbgitpuller runs git, which is not installed")
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git clone")
    # The class's repository: a clone of this one with a main branch (CI may check out a
    # detached HEAD). nbgitpuller clones it over file://, exactly as it would over https://.
    origin = tmp_path / "interopkit"
    subprocess.run(["git", "-c", f"safe.directory={ROOT}", "clone", "--quiet", str(ROOT),
                    str(origin)], check=True, timeout=120, capture_output=True)
    subprocess.run(["git", "-C", str(origin), "checkout", "--quiet", "-B", "main"], check=True,
                   timeout=60, capture_output=True)
    repo = origin.as_uri()
    target = "lab/tree/interopkit/notebooks/00_start_here.ipynb"
    learner = learners["linus"]
    link = f"{hub.url}/hub/user-redirect/git-pull?" + urlencode(
        {"repo": repo, "branch": "main", "urlpath": target}, quote_via=quote)
    page = learner.session.get(link, timeout=HTTP_S)
    assert page.status_code == 200, page.text[:300]
    assert urlsplit(page.url).path == "/user/linus/git-pull"
    assert f'data-path="{quote(target)}"' in page.text
    # The page's script then streams the pull from this endpoint; do what it does.
    xsrf = re.search(r'data-xsrf="([^"]+)"', page.text)
    assert xsrf, "the nbgitpuller page carries no XSRF token"
    query = {"_xsrf": requests.utils.unquote(xsrf[1]), "repo": repo, "branch": "main",
             "targetpath": "interopkit"}
    events = []
    deadline = time.monotonic() + SPAWN_S
    with learner.session.get(f"{hub.url}/user/linus/git-pull/api", params=query, stream=True,
                             timeout=HTTP_S) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines(decode_unicode=True):
            assert time.monotonic() < deadline, f"the pull is still going: {events[-3:]}"
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: "):]))
                if events[-1].get("phase") in ("finished", "error"):
                    break
    assert events and events[-1]["phase"] == "finished", events[-3:]
    pulled = hub.homes / "linus" / "interopkit" / "notebooks" / "00_start_here.ipynb"
    assert pulled.is_file()
    committed = subprocess.run(["git", "-C", str(origin), "show",
                                "HEAD:notebooks/00_start_here.ipynb"],
                               capture_output=True, check=True, timeout=60).stdout
    assert pulled.read_bytes() == committed
    # JupyterLab opens the notebook at the link's urlpath once it is there.
    opened = learner.session.get(f"{hub.url}/user/linus/{target}", timeout=HTTP_S)
    assert opened.status_code == 200
