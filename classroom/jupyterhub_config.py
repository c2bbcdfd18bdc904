"""JupyterHub configuration for teaching interopkit on one Linux server.

Assumes one Python environment holds JupyterHub, JupyterLab, ipywidgets and the kit (installed
from a clone with ``pip install -e``, so that the kit finds its ``data/`` folder), and that every
learner has a Unix account on the server. Run it as root from the hub's state directory:

    cd /srv/jupyterhub && /path/to/env/bin/jupyterhub -f /path/to/jupyterhub_config.py

The hub writes its database (jupyterhub.sqlite), cookie secret and proxy pid file into the
directory it is started from. It needs configurable-http-proxy on PATH
(``npm install -g configurable-http-proxy``). docs/jupyterhub.md explains the choices, and how
The Littlest JupyterHub or Zero to JupyterHub do the same for bigger classes;
tests/test_jupyterhub.py starts a real hub from this file.

Safe by default. Learners type their Unix passwords into the login form, so:

- the hub listens on 127.0.0.1 only, unless told otherwise, and serves HTTPS when given a
  certificate; it refuses to start on any other address without one. Set in the hub's
  environment: INTEROPKIT_HUB_IP (default 127.0.0.1), INTEROPKIT_HUB_PORT (default 8000),
  INTEROPKIT_HUB_SSL_CERT and INTEROPKIT_HUB_SSL_KEY (PEM files: the certificate chain and its
  key). On 127.0.0.1 without a certificate, put a reverse proxy that terminates TLS in front;
- a server starts only for an account in the learners' or instructors' group whose UID is in
  the range of people's accounts (UID_MIN to UID_MAX of /etc/login.defs): never for root or a
  system account, even when an admin asks through the API;
- each learner's memory and CPU are limited by systemd (the spawner of The Littlest JupyterHub)
  where systemd runs the machine; elsewhere (a container) only each process's memory and CPU
  time have a ceiling, and nothing shares the CPUs out (docs/jupyterhub.md says what each
  enforces).
"""

import grp
import ipaddress
import os
import pwd
import shutil
import sys
from pathlib import Path
from typing import NoReturn

from tornado import web

c = get_config()  # noqa: F821 (JupyterHub provides get_config when it loads this file)

# --- Settings an instructor tunes -------------------------------------------------------------

# Unix groups: members of LEARNERS may log in, members of INSTRUCTORS are also hub admins (they
# can see, start and stop everyone's server from the admin page). These are the groups The
# Littlest JupyterHub uses, so the same accounts work on both.
LEARNERS = "jupyterhub-users"
INSTRUCTORS = "jupyterhub-admins"

# A kernel that has run nothing for this long is shut down, and with it every surrogate process
# it started (the kit's 32-bit and emulated hosts are child processes of the kernel). Kernels in
# a browser tab left open count too: on a shared machine a forgotten tab must not hold memory.
KERNEL_IDLE_SECONDS = 60 * 60
# A server with no kernels and no requests for this long stops itself; the learner's files stay,
# and the next visit starts a fresh server.
SERVER_IDLE_SECONDS = 60 * 60

# Memory and CPU per learner, where systemd runs the machine: the learner's whole server
# (JupyterLab, kernels, surrogates, Wine) together gets MEMORY_LIMIT bytes of memory and
# CPU_LIMIT CPUs' worth of time. The kit needs about 400 MiB per learner (docs/jupyterhub.md).
MEMORY_LIMIT = 1 * 2**30  # 1 GiB
CPU_LIMIT = 1.0
# Without systemd there is no budget per learner, only limits per process (docs/jupyterhub.md):
# a ceiling on each process's writable memory, against a runaway allocation, and on its CPU
# time, against a runaway loop. The ceiling counts address space reserved, not memory used, and
# the kit's ARM64 emulator (unicorn) reserves 1 GiB per emulator for translated code: notebook
# 04's kernel was measured at 4.4-7.5 GiB of it for 140 MiB resident, and under a 1 GiB ceiling
# unicorn ends the kernel ("Could not allocate dynamic translator buffer").
MEMORY_CEILING_PER_PROCESS = 16 * 2**30  # 16 GiB
CPU_SECONDS_PER_PROCESS = 2 * 60 * 60

# Where the hub listens: read from the hub's environment (see the docstring above).
HUB_IP = os.environ.get("INTEROPKIT_HUB_IP", "127.0.0.1")
HUB_PORT = os.environ.get("INTEROPKIT_HUB_PORT", "8000")
SSL_CERT = os.environ.get("INTEROPKIT_HUB_SSL_CERT", "")
SSL_KEY = os.environ.get("INTEROPKIT_HUB_SSL_KEY", "")


def refuse(reason: str) -> NoReturn:
    """Stop the hub before it listens, with one line saying what to set (no traceback)."""
    sys.exit(f"classroom/jupyterhub_config.py: {reason}")


# --- Where the hub listens --------------------------------------------------------------------


def is_loopback(ip: str) -> bool:
    """True for 127.0.0.1, ::1 and the rest of the loopback ranges; "" means every interface."""
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def bind_url(ip: str, port: str, cert: str, key: str) -> str:
    """The public URL to bind, after refusing any setting that would send passwords in clear."""
    if not port.isdigit() or not 0 < int(port) < 65536:
        refuse(f"INTEROPKIT_HUB_PORT={port!r} is not a TCP port (1-65535).")
    if bool(cert) != bool(key):
        refuse("set both INTEROPKIT_HUB_SSL_CERT and INTEROPKIT_HUB_SSL_KEY (the certificate "
               "chain and its private key, PEM), or neither.")
    for variable, path in (("INTEROPKIT_HUB_SSL_CERT", cert), ("INTEROPKIT_HUB_SSL_KEY", key)):
        if path and not (Path(path).is_file() and os.access(path, os.R_OK)):
            refuse(f"{variable}={path!r} is not a file the hub can read.")
    if not cert and not is_loopback(ip):
        shown = ip or "every interface"
        refuse(f"refusing to serve plain HTTP on {shown}: the learners' passwords would cross "
               "the network in clear. Set INTEROPKIT_HUB_SSL_CERT and INTEROPKIT_HUB_SSL_KEY to "
               "a certificate and its key (for example Let's Encrypt's fullchain.pem and "
               "privkey.pem), or leave INTEROPKIT_HUB_IP unset (127.0.0.1) and put a reverse "
               "proxy that terminates TLS in front of the hub.")
    host = f"[{ip}]" if ":" in ip else ip
    return f"{'https' if cert else 'http'}://{host}:{port}"


c.JupyterHub.bind_url = bind_url(HUB_IP, HUB_PORT, SSL_CERT, SSL_KEY)
if SSL_CERT:
    # JupyterHub hands these to configurable-http-proxy, which terminates TLS.
    c.JupyterHub.ssl_cert = SSL_CERT
    c.JupyterHub.ssl_key = SSL_KEY

# --- Who may log in ---------------------------------------------------------------------------

# PAM checks the learners' Unix passwords, so the hub must run as root. Create accounts with
# adduser and add them to a group, e.g. `usermod -aG jupyterhub-users alice`. Both groups must
# exist (groupadd), even if one is empty: when a group named in admin_groups is missing, every
# login fails with an error 500 (seen with JupyterHub 6.1).
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {LEARNERS, INSTRUCTORS}
c.PAMAuthenticator.admin_groups = {INSTRUCTORS}

# --- Whose server may start -------------------------------------------------------------------


def uid_range(login_defs: Path = Path("/etc/login.defs")) -> range:
    """UIDs of people's accounts: UID_MIN to UID_MAX of login.defs (1000 and 60000 when unset),
    the range adduser and useradd give new users (https://man7.org/linux/man-pages/man5/login.defs.5.html)."""
    found = {"UID_MIN": 1000, "UID_MAX": 60000}
    try:
        lines = login_defs.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] in found and words[1].isdigit():
            found[words[0]] = int(words[1])
    return range(found["UID_MIN"], found["UID_MAX"] + 1)


UID_RANGE = uid_range()


def account_problem(name: str, uids: range = UID_RANGE) -> str:
    """Why no server may run as the Unix account ``name`` ("" when one may)."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return "there is no Unix account of that name"
    if account.pw_uid == 0:
        return "it is root, and a server runs every learner's code as its account"
    if account.pw_uid not in uids:
        return (f"its UID {account.pw_uid} is outside {uids.start}-{uids.stop - 1} (UID_MIN and "
                "UID_MAX in /etc/login.defs), the range of people's accounts: system accounts "
                "get no server")
    # getgrouplist counts the primary group and every supplementary one, from any NSS source.
    groups = set()
    for gid in os.getgrouplist(name, account.pw_gid):
        try:
            groups.add(grp.getgrgid(gid).gr_name)
        except KeyError:
            continue
    if not groups & {LEARNERS, INSTRUCTORS}:
        return (f"it is in neither {LEARNERS} nor {INSTRUCTORS}: add it with "
                f"`usermod -aG {LEARNERS} {name}` if it is a learner's")
    return ""


def refuse_unsafe_accounts(spawner) -> None:
    """Spawner.pre_spawn_hook: runs before every start, whoever asked (the learner, an admin on
    the admin page or with an API token), and before any process exists."""
    problem = account_problem(spawner.user.name)
    if problem:
        raise web.HTTPError(403, f"not starting a server for {spawner.user.name!r}: {problem}")


c.Spawner.pre_spawn_hook = refuse_unsafe_accounts

# --- Each learner's server ----------------------------------------------------------------------

# Start the single-user server with the Python that runs the hub, so that it (and the python3
# kernel, which uses the server's interpreter) sees the same packages: the kit, and ipywidgets
# next to the jupyterlab_widgets front end it must match. Relying on PATH instead breaks when
# the hub is started by systemd with an absolute path.
SERVER = [sys.executable, "-m", "jupyterhub.singleuser"]


def systemd_runs_this_machine() -> bool:
    """systemd is PID 1 exactly when /run/systemd/system/ exists (sd_booted,
    https://man7.org/linux/man-pages/man3/sd_booted.3.html); systemd-run starts the units."""
    return Path("/run/systemd/system").is_dir() and shutil.which("systemd-run") is not None


def limit_servers(config, systemd: bool) -> None:
    """Choose the spawner that enforces the limits, and set them."""
    if systemd:
        # One transient systemd unit per learner, as The Littlest JupyterHub does: MemoryMax and
        # CPUQuota bound the server with every process it starts
        # (https://www.freedesktop.org/software/systemd/man/latest/systemd.resource-control.html).
        try:
            import systemdspawner  # noqa: F401 (only to give a clear error when it is missing)
        except ImportError:
            refuse("systemd runs this machine but jupyterhub-systemdspawner is not installed in "
                   "the hub's environment: pip install jupyterhub-systemdspawner==1.0.2")
        config.JupyterHub.spawner_class = "systemd"
        config.SystemdSpawner.mem_limit = MEMORY_LIMIT
        config.SystemdSpawner.cpu_limit = CPU_LIMIT
        config.Spawner.cmd = SERVER
        return
    # No systemd (a container, usually): resource limits set by prlimit, then inherited by every
    # process the server starts, each one counted on its own
    # (https://man7.org/linux/man-pages/man2/setrlimit.2.html). RLIMIT_DATA, not RLIMIT_AS: Wine
    # reserves more than 1 GiB of address space it never writes (it aborts under a 1 GiB
    # RLIMIT_AS), and RLIMIT_DATA counts only writable mappings.
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        refuse("prlimit (util-linux) is not installed, so no memory limit can be set on the "
               "learners' servers: apt install util-linux")
    # One process per learner, run as that learner's Unix user in their home directory. So every
    # learner must be able to read and run the Python environment (a venv made from a Python
    # under /root, as pyenv makes them, fails with "Permission denied").
    config.JupyterHub.spawner_class = "localprocess"
    config.Spawner.cmd = [prlimit, f"--data={MEMORY_CEILING_PER_PROCESS}",
                          f"--cpu={CPU_SECONDS_PER_PROCESS}", "--", *SERVER]


limit_servers(c, systemd_runs_this_machine())

# Open JupyterLab, not the file tree of the classic interface.
c.Spawner.default_url = "/lab"

# Idle culling by Jupyter Server itself (no extra service to install).
c.Spawner.args = [
    f"--MappingKernelManager.cull_idle_timeout={KERNEL_IDLE_SECONDS}",
    "--MappingKernelManager.cull_interval=300",
    "--MappingKernelManager.cull_connected=True",
    f"--ServerApp.shutdown_no_activity_timeout={SERVER_IDLE_SECONDS}",
]

# The kit reads two environment variables; the spawner passes on only the variables it is told
# to, so forward these from the hub's environment when the instructor has set them:
#   INTEROPKIT_DATA   the kit's data/ folder, for an install that is not an editable clone;
#   INTEROPKIT_QUICK  1 = fewer repetitions in the long experiments (a quick demo on a small
#                     server); leave unset for the full measurements.
c.Spawner.environment = {
    name: os.environ[name] for name in ("INTEROPKIT_DATA", "INTEROPKIT_QUICK") if name in os.environ
}

# When a whole class logs in at the start of a lesson, servers start side by side and each one
# imports JupyterLab: allow more than the defaults (60 s to start, 30 s to answer) before the
# hub gives up on a server.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60

# --- The hub --------------------------------------------------------------------------------------

# Logging out stops the learner's server, which frees its kernels and surrogate processes.
c.JupyterHub.shutdown_on_logout = True

# How many servers may be starting at once (the default is 100); lower it on a small machine so
# that a class logging in together queues instead of overloading it.
c.JupyterHub.concurrent_spawn_limit = 100

# Stopping the hub also stops every learner's server. Set this to False to restart the hub in
# the middle of a class (to change this file) without killing the learners' kernels.
c.JupyterHub.cleanup_servers = True
