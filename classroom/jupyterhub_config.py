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
"""

import os
import sys

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

# Public address. Serve a class over HTTPS only: either give JupyterHub a certificate here, or
# keep this on 127.0.0.1 behind a reverse proxy (nginx, Caddy) that terminates TLS.
c.JupyterHub.bind_url = "http://:8000"
# c.JupyterHub.ssl_cert = "/etc/letsencrypt/live/hub.example.org/fullchain.pem"
# c.JupyterHub.ssl_key = "/etc/letsencrypt/live/hub.example.org/privkey.pem"

# --- Who may log in ---------------------------------------------------------------------------

# PAM checks the learners' Unix passwords, so the hub must run as root. Create accounts with
# adduser and add them to a group, e.g. `usermod -aG jupyterhub-users alice`. Both groups must
# exist (groupadd), even if one is empty: when a group named in admin_groups is missing, every
# login fails with an error 500 (seen with JupyterHub 6.1).
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {LEARNERS, INSTRUCTORS}
c.PAMAuthenticator.admin_groups = {INSTRUCTORS}

# --- Each learner's server ----------------------------------------------------------------------

# One process per learner, run as that learner's Unix user in their home directory. So every
# learner must be able to read and run the Python environment (a venv made from a Python under
# /root, as pyenv makes them, fails with "Permission denied").
c.JupyterHub.spawner_class = "localprocess"

# Start the single-user server with the Python that runs the hub, so that it (and the python3
# kernel, which uses the server's interpreter) sees the same packages: the kit, and ipywidgets
# next to the jupyterlab_widgets front end it must match. Relying on PATH instead breaks when
# the hub is started by systemd with an absolute path.
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]

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
