"""A class on one machine: a real JupyterHub started from ``classroom/jupyterhub_config.py``.

The hub runs on the file's default address, 127.0.0.1 (free ports chosen at run time), with a
throwaway self-signed certificate given the way an instructor gives one (INTEROPKIT_HUB_SSL_CERT
and _KEY), behind a real configurable-http-proxy, which is installed here with
``npm install --prefix ~/.cache/interopkit/chp`` when it is missing (set
``INTEROPKIT_NO_INSTALL=1`` to forbid that). The learners' Unix accounts, and the accounts that
must get no server (root, a system account, an account outside the groups), come from a small
passwd and group file read through nss_wrapper (Debian's libnss-wrapper, installed here as root
when missing), so the file's account checks run unchanged and nothing on the machine changes.
The tests skip, saying why, only when Node/npm or nss_wrapper are missing and cannot be
installed. The command line overrides only what a test machine must: the authenticator
(DummyAuthenticator: any name, any password; "teacher" is an admin), the spawner
(SimpleLocalProcessSpawner: servers run as the hub's own user, with homes under the test's
temporary folder), the ports and the proxy's path. Everything else (the address and TLS, the
account checks, the resource limits, JupyterLab as the landing page, the server command, the
idle culling arguments, the kit's environment) comes from the classroom file.

Three learners log in through the hub's login form (with its XSRF token, as a browser does), get
an API token from the hub, start their servers at once, and run every code cell of notebook 00 in
a kernel of their own server, all three at the same moment, over the kernel websocket. One learner
then follows an nbgitpuller link to a local clone of this repository. The admin asks, through
the API, for servers for root, a system account, an outsider and a name with no account: each
is refused before any process starts. The hub is stopped with SIGTERM at the end, and the module
fails if any process it started outlives it. A hub asked to listen on 0.0.0.0 without a
certificate must refuse to start.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import os
import pwd
import re
import runpy
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock
from urllib.parse import quote, urlencode, urlsplit

import psutil
import pytest
import requests
import websocket
from conftest import apt_install, free_port
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jupyterhub.objects import Hub as JupyterHubHub
from systemdspawner import systemd
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
NOTEBOOK = ROOT / "notebooks" / "00_start_here.ipynb"
CHP_VERSION = "5.3.0"
LEARNERS = ("ada", "grace", "linus")
ADMIN = "teacher"
HUB_START_S = 60
SPAWN_S = 120
CELL_S = 120
HTTP_S = 30
STOP_S = 60
# The memory docs/jupyterhub.md tells an instructor to plan per active learner (their server and
# kernel), in MiB; one learner's RSS after notebook 00 must stay below it.
PLANNED_MIB_PER_LEARNER = 400
# The variables through which an instructor tells the classroom file where to listen.
HUB_VARIABLES = ("INTEROPKIT_HUB_IP", "INTEROPKIT_HUB_PORT", "INTEROPKIT_HUB_SSL_CERT",
                 "INTEROPKIT_HUB_SSL_KEY")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="JupyterHub's local spawners, and this test's "
                       "cleanup by process group, need a POSIX system"),
]


def _load_config(**env: str) -> dict[str, Any]:
    """Run the classroom file as JupyterHub does (``get_config`` provided) with exactly these
    INTEROPKIT_HUB_* variables set; return its globals (``c`` is the configuration)."""
    saved = {name: os.environ.pop(name) for name in HUB_VARIABLES if name in os.environ}
    os.environ.update(env)
    try:
        return runpy.run_path(str(CONFIG), init_globals={"get_config": Config})
    finally:
        for name in HUB_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(saved)


def _hub_environment(**env: str) -> dict[str, str]:
    """The test's environment for a hub: none of an enclosing hub's secrets (a hub started from
    inside another hub must not pick them up), none of the instructor's address settings."""
    kept = {key: value for key, value in os.environ.items()
            if not key.startswith(("JUPYTERHUB_", "JPY_", "CONFIGPROXY_"))
            and key not in HUB_VARIABLES}
    return {**kept, **env}


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "hub.crt", folder / "hub.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass(frozen=True)
class Account:
    """A Unix account of the test's own account database."""

    name: str
    uid: int
    groups: tuple[str, ...]
    """Supplementary groups: the classroom file's learners' or instructors' group, or none."""


def _accounts(config: dict[str, Any]) -> dict[str, Account]:
    """The learners and the admin, and the accounts that must get no server, with UIDs placed
    against this machine's range of people's accounts as the classroom file reads it."""
    first, learners, instructors = config["UID_RANGE"].start, config["LEARNERS"], \
        config["INSTRUCTORS"]
    accounts = [Account(name, first + 101 + i, (learners,)) for i, name in enumerate(LEARNERS)]
    accounts += [
        Account(ADMIN, first + 110, (instructors,)),
        # In the learners' group, so that only the UID can be what refuses them.
        Account("root", 0, (learners,)),
        Account("sysacct", first - 1, (learners,)),
        Account("outsider", first + 200, ()),
    ]
    return {account.name: account for account in accounts}


def _account_files(folder: Path, accounts: dict[str, Account]) -> dict[str, str]:
    """passwd and group files for the accounts, and the environment that makes the hub read
    them through nss_wrapper (https://cwrap.org/nss_wrapper.html) instead of the machine's."""
    folder.mkdir()
    users, groups, members = [], [], {}
    me = os.getuid()
    if me != 0:  # the hub's own account, as the machine knows it
        own = pwd.getpwuid(me)
        users.append(f"{own.pw_name}:x:{me}:{own.pw_gid}::{own.pw_dir}:/bin/sh")
        groups.append(f"{own.pw_name}:x:{own.pw_gid}:")
    for account in accounts.values():
        users.append(f"{account.name}:x:{account.uid}:{account.uid}::/nonexistent:/bin/sh")
        groups.append(f"{account.name}:x:{account.uid}:")
        for group in account.groups:
            members.setdefault(group, []).append(account.name)
    first = min(account.uid for account in accounts.values() if account.uid)
    groups += [f"{group}:x:{first + 300 + i}:{','.join(names)}"
               for i, (group, names) in enumerate(sorted(members.items()))]
    (folder / "passwd").write_text("\n".join(users) + "\n")
    (folder / "group").write_text("\n".join(groups) + "\n")
    return {"LD_PRELOAD": "libnss_wrapper.so", "NSS_WRAPPER_PASSWD": str(folder / "passwd"),
            "NSS_WRAPPER_GROUP": str(folder / "group")}


def _nss_wrapper_works(env: dict[str, str], name: str) -> bool:
    """True when a Python started with ``env`` finds ``name``, an account only the files have."""
    probe = [sys.executable, "-c", f"import pwd; pwd.getpwnam({name!r})"]
    try:
        return subprocess.run(probe, env={**os.environ, **env}, capture_output=True,
                              timeout=60, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


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
    port: int
    ca: Path
    """The hub's self-signed certificate, which clients trust for this test."""
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

    def servers_of(self, name: str) -> list[psutil.Process]:
        """The single-user server processes of one user (one, or none)."""
        found = []
        for proc in self.descendants():
            try:
                if proc.ppid() == self.process.pid and \
                        proc.environ().get("JUPYTERHUB_USER") == name:
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def server_of(self, name: str) -> psutil.Process:
        """The single-user server process of one learner."""
        found = self.servers_of(name)
        assert len(found) == 1, f"server processes of {name}: {found}\n{self.log_tail()}"
        return found[0]


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
def accounts() -> dict[str, Account]:
    return _accounts(_load_config())


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, accounts: dict[str, Account]) -> Iterator[Hub]:
    proxy = _proxy_command()
    work = tmp_path_factory.mktemp("hub")
    nss = _account_files(work / "accounts", accounts)
    reason = apt_install("libnss-wrapper", lambda: _nss_wrapper_works(nss, "outsider"))
    if reason:
        pytest.skip(f"the learners' accounts are read through nss_wrapper: {reason}")
    cert, key = _self_signed(work)
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
        f"--Authenticator.admin_users={ADMIN}",
        "--JupyterHub.spawner_class=simple",
        f"--SimpleLocalProcessSpawner.home_dir_template={homes}/{{username}}",
        f"--JupyterHub.hub_port={hub_port}",
        f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}",
        f"--ConfigurableHTTPProxy.command={proxy}",
    ]
    # The address is the file's default (INTEROPKIT_HUB_IP unset); the port and certificate
    # are given as an instructor gives them.
    env = _hub_environment(INTEROPKIT_HUB_PORT=str(port), INTEROPKIT_HUB_SSL_CERT=str(cert),
                           INTEROPKIT_HUB_SSL_KEY=str(key), **nss)
    log = work / "hub.log"
    with log.open("wb") as out:
        # The database, cookie secret and pid files land in the working directory, as on a server.
        process = subprocess.Popen(command, cwd=work, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    running = Hub(f"https://127.0.0.1:{port}", port, cert, process, log, homes)
    try:
        deadline = time.monotonic() + HUB_START_S
        while True:
            assert process.poll() is None, f"the hub exited:\n{running.log_tail()}"
            assert time.monotonic() < deadline, f"no hub after {HUB_START_S} s\n" \
                f"{running.log_tail()}"
            try:
                if requests.get(f"{running.url}/hub/api/", timeout=2,
                                verify=cert).status_code == 200:
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
    """A logged-in user: a browser-like session (cookies) and an API token from the hub."""

    name: str
    session: requests.Session
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


def _log_in(hub: Hub, name: str) -> Learner:
    """Log in through the form, as a browser does, then ask the hub for an API token."""
    session = requests.Session()
    # Trust the hub's certificate; without trust_env=False, a REQUESTS_CA_BUNDLE in the
    # environment would replace the session's verify (and a proxy setting would apply).
    session.verify, session.trust_env = str(hub.ca), False
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
def admin(hub: Hub) -> Iterator[Learner]:
    """The instructor, logged in: an admin of the hub."""
    teacher = _log_in(hub, ADMIN)
    try:
        model = teacher.session.get(f"{hub.url}/hub/api/user", headers=teacher.auth,
                                    timeout=HTTP_S)
        assert model.json()["admin"], model.text[:300]
        yield teacher
    finally:
        teacher.session.close()


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
                         allow_redirects=False, verify=hub.ca)
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


@dataclass
class Kernel:
    """A kernel on a learner's server, reached over its websocket."""

    ws: websocket.WebSocket
    session_id: str

    def run(self, code: str) -> Reply:
        return _execute(self.ws, code, self.session_id)


@contextmanager
def _kernel(hub: Hub, learner: Learner) -> Iterator[Kernel]:
    """Start a python3 kernel on the learner's server; shut it down afterwards."""
    api = f"{hub.url}/user/{learner.name}/api/kernels"
    made = learner.session.post(api, headers=learner.auth, json={"name": "python3"},
                                timeout=HTTP_S)
    assert made.status_code == 201, made.text[:300]
    kernel = made.json()["id"]
    session_id = uuid.uuid4().hex
    ws_url = f"{hub.url.replace('http', 'ws', 1)}/user/{learner.name}/api/kernels/{kernel}/" \
             f"channels?session_id={session_id}"
    ws = None
    try:
        ws = websocket.create_connection(ws_url, timeout=HTTP_S,
                                         header=[f"Authorization: token {learner.token}"],
                                         sslopt={"ca_certs": str(hub.ca)})
        yield Kernel(ws, session_id)
    finally:
        if ws is not None:
            ws.close()
        learner.session.delete(f"{api}/{kernel}", headers=learner.auth, timeout=HTTP_S)


def _run_notebook(hub: Hub, learner: Learner, cells: list[str], start: threading.Barrier) -> Run:
    """Start a kernel on the learner's server, run the cells over its websocket, measure."""
    try:
        with _kernel(hub, learner) as kernel:
            start.wait(timeout=HTTP_S)
            started = time.monotonic()
            replies = [kernel.run(code) for code in cells]
            ended = time.monotonic()
            probe = kernel.run(PROBE)
            rss, pss = _memory(hub.server_of(learner.name))
            failing = kernel.run("raise ValueError('on purpose')")
    except BaseException:
        start.abort()  # the other learners stop waiting for this one
        raise
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


# --- Where the hub listens ------------------------------------------------------------------------


def test_the_hub_serves_https_on_127_0_0_1_only(hub: Hub) -> None:
    # The public port belongs to the proxy: on the loopback address, never on every interface.
    listening = set()
    for proc in hub.descendants():
        try:
            listening |= {conn.laddr.ip for conn in proc.net_connections(kind="inet")
                          if conn.status == psutil.CONN_LISTEN and conn.laddr.port == hub.port}
        except psutil.Error:
            continue
    assert listening == {"127.0.0.1"}, listening
    # It speaks TLS with the certificate it was given, and nothing else.
    served = ssl.get_server_certificate(("127.0.0.1", hub.port), timeout=HTTP_S)
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(hub.ca.read_text())
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{hub.port}/hub/login", timeout=HTTP_S)


def test_by_default_the_file_listens_on_127_0_0_1(tmp_path: Path) -> None:
    config = _load_config()["c"]
    # Plain HTTP on the loopback address only: for a reverse proxy that terminates TLS.
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert "ssl_cert" not in config.JupyterHub
    cert, key = _self_signed(tmp_path)
    config = _load_config(INTEROPKIT_HUB_SSL_CERT=str(cert), INTEROPKIT_HUB_SSL_KEY=str(key))["c"]
    assert config.JupyterHub.bind_url == "https://127.0.0.1:8000"
    assert (config.JupyterHub.ssl_cert, config.JupyterHub.ssl_key) == (str(cert), str(key))
    # Any other address takes a certificate.
    config = _load_config(INTEROPKIT_HUB_IP="0.0.0.0", INTEROPKIT_HUB_PORT="443",
                          INTEROPKIT_HUB_SSL_CERT=str(cert), INTEROPKIT_HUB_SSL_KEY=str(key))["c"]
    assert config.JupyterHub.bind_url == "https://0.0.0.0:443"


@pytest.mark.parametrize(("setting", "message"), [
    ({"INTEROPKIT_HUB_IP": "0.0.0.0"}, "refusing to serve plain HTTP on 0.0.0.0"),
    ({"INTEROPKIT_HUB_IP": ""}, "refusing to serve plain HTTP on every interface"),
    ({"INTEROPKIT_HUB_IP": "::"}, "refusing to serve plain HTTP on ::"),
    ({"INTEROPKIT_HUB_IP": "hub.example.org"}, "refusing to serve plain HTTP on hub.example.org"),
    ({"INTEROPKIT_HUB_SSL_CERT": "hub.crt"}, "set both INTEROPKIT_HUB_SSL_CERT and "),
    ({"INTEROPKIT_HUB_SSL_CERT": "missing.crt", "INTEROPKIT_HUB_SSL_KEY": "missing.key"},
     "INTEROPKIT_HUB_SSL_CERT='missing.crt' is not a file the hub can read"),
    ({"INTEROPKIT_HUB_PORT": "http"}, "INTEROPKIT_HUB_PORT='http' is not a TCP port"),
], ids=["any-ipv4", "empty", "any-ipv6", "hostname", "cert-without-key", "missing-cert",
        "bad-port"])
def test_settings_that_would_expose_passwords_are_refused(
        setting: dict[str, str], message: str) -> None:
    with pytest.raises(SystemExit, match=re.escape(message)):
        _load_config(**setting)


def test_a_hub_asked_for_0_0_0_0_without_a_certificate_does_not_start(tmp_path: Path) -> None:
    port = free_port()
    env = _hub_environment(INTEROPKIT_HUB_IP="0.0.0.0", INTEROPKIT_HUB_PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=HUB_START_S)
    finally:
        if process.poll() is None:  # it started after all: stop it and whatever it started
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=10)
    assert process.returncode == 1, (process.returncode, err[-2000:])
    # One line saying what to set, not a traceback; and it stopped before opening anything.
    assert "refusing to serve plain HTTP on 0.0.0.0" in err
    assert "INTEROPKIT_HUB_SSL_CERT and INTEROPKIT_HUB_SSL_KEY" in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "jupyterhub.sqlite").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=HTTP_S)


# --- Whose server may start -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reason"), [
    ("root", "it is root"),
    ("sysacct", "its UID {uid} is outside "),
    ("outsider", "it is in neither jupyterhub-users nor jupyterhub-admins"),
    ("ghost", "there is no Unix account of that name"),
])
def test_no_server_for_root_a_system_account_or_an_outsider_even_when_an_admin_asks(
        hub: Hub, admin: Learner, accounts: dict[str, Account], name: str, reason: str) -> None:
    api = f"{hub.url}/hub/api/users/{name}"
    # The admin page's "add user", then "start server": both through the admin's API token.
    created = admin.session.post(api, headers=admin.auth, timeout=HTTP_S)
    assert created.status_code == 201, created.text[:300]
    started = admin.session.post(f"{api}/server", headers=admin.auth, timeout=HTTP_S)
    assert started.status_code == 403, (started.status_code, started.text[:300])
    uid = accounts[name].uid if name in accounts else None
    assert started.json()["message"].startswith(
        f"not starting a server for '{name}': {reason.format(uid=uid)}"), started.text[:300]
    # Refused before any process: no server in the hub's model, none among its processes.
    model = admin.session.get(api, headers=admin.auth, timeout=HTTP_S)
    assert model.status_code == 200 and not model.json()["servers"], model.text[:300]
    assert not hub.servers_of(name)


# --- Memory and CPU per learner -------------------------------------------------------------------


def test_without_systemd_the_server_runs_under_prlimit() -> None:
    config = _load_config()
    settings = Config()
    config["limit_servers"](settings, systemd=False)
    assert settings.JupyterHub.spawner_class == "localprocess"
    prlimit = shutil.which("prlimit")
    assert settings.Spawner.cmd == [
        prlimit, f"--data={config['MEMORY_CEILING_PER_PROCESS']}",
        f"--cpu={config['CPU_SECONDS_PER_PROCESS']}", "--", *config["SERVER"]]
    assert config["MEMORY_CEILING_PER_PROCESS"] == 16 * 2**30
    assert config["CPU_SECONDS_PER_PROCESS"] == 7200


def test_with_systemd_each_learner_is_one_unit_with_memory_max_and_cpu_quota() -> None:
    config = _load_config()
    settings = Config()
    config["limit_servers"](settings, systemd=True)
    assert settings.JupyterHub.spawner_class == "systemd"
    # JupyterHub resolves the name through this entry point; start the spawner it names, with
    # systemd-run replaced by a recorder (no systemd here), as the hub would for this account.
    spawner_class = entry_points(group="jupyterhub.spawners")["systemd"].load()
    unix_name = pwd.getpwuid(os.getuid()).pw_name
    user = SimpleNamespace(name=unix_name, id=1, escaped_name=unix_name, url=f"/user/{unix_name}/",
                           base_url="/", server=None)
    spawner = spawner_class(config=settings, user=user, hub=JupyterHubHub())
    units: list[dict[str, Any]] = []

    async def run(unit_name: str, **unit: Any) -> None:
        units.append({"name": unit_name, **unit})

    async def no(_unit_name: str) -> bool:
        return False

    async def running() -> None:
        return None

    spawner.poll = running
    with mock.patch.object(systemd, "start_transient_service", run), \
            mock.patch.object(systemd, "service_running", no), \
            mock.patch.object(systemd, "service_failed", no):
        asyncio.run(spawner.start())
    assert len(units) == 1, units
    assert units[0]["cmd"] == config["SERVER"]
    assert units[0]["uid"] == os.getuid()
    properties = units[0]["properties"]
    assert properties["MemoryMax"] == config["MEMORY_LIMIT"] == 2**30
    assert properties["CPUQuota"] == f"{config['CPU_LIMIT'] * 100:.0f}%" == "100%"


def test_each_learners_processes_run_under_the_limits(
        hub: Hub, learners: dict[str, Learner]) -> None:
    config = _load_config()
    memory, seconds = config["MEMORY_CEILING_PER_PROCESS"], config["CPU_SECONDS_PER_PROCESS"]
    if config["systemd_runs_this_machine"]():
        pytest.skip("systemd runs this machine, so the classroom file limits each learner with "
                    "SystemdSpawner (MemoryMax, CPUQuota), whose settings the test above checks; "
                    "this hub runs servers with SimpleLocalProcessSpawner as the test's own "
                    "user, which cannot start systemd units, so enforcement is not tested here")
    server = hub.server_of("grace")
    with _kernel(hub, learners["grace"]) as kernel:
        processes = [server, *server.children(recursive=True)]
        assert len(processes) >= 2, "no kernel under the server"
        for proc in processes:
            assert proc.rlimit(psutil.RLIMIT_DATA) == (memory, memory), _describe(proc)
            assert proc.rlimit(psutil.RLIMIT_CPU) == (seconds, seconds), _describe(proc)
        # Enforced (the limits are checked above first: without them the next cell would really
        # allocate): 256 MiB is granted, the ceiling is refused, and the kernel lives on.
        within = kernel.run(f"block = bytearray({2**28}); print(len(block))")
        assert within.status == "ok" and within.text.strip() == str(2**28), within
        beyond = kernel.run(f"del block; block = bytearray({memory})")
        assert beyond.status == "error" and "MemoryError" in beyond.text, beyond
        after = kernel.run("print('still here')")
        assert after.status == "ok" and "still here" in after.text, after
