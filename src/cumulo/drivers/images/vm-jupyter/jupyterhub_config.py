# JupyterHub of cumulo/vm-jupyter: one user, the deployment's owner, whose
# password digest set-owner.py wrote; notebook servers are local processes of
# the hub's own (non-root) user, each in /notebooks/NAME (the deployment's volume).
# The hub starts with the container, before its configuration: the owner is read
# at each login, so nobody gets in until set-owner.py has run, and a new password
# (an update) holds at once, without a restart.
import hashlib
import hmac
import json

from jupyterhub.auth import Authenticator

OWNER_FILE = "/etc/jupyterhub/owner.json"


def _owner():
    try:
        with open(OWNER_FILE) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


class OwnerAuthenticator(Authenticator):
    """Admits the owner with the owner's password (as the hub's admin); nobody else."""

    async def authenticate(self, handler, data):
        owner = _owner()
        if owner is None:
            return None
        name = str(data.get("username", ""))
        password = str(data.get("password", "")).encode()
        digest = hashlib.pbkdf2_hmac(
            "sha256", password, bytes.fromhex(owner["salt"]), owner["iterations"]
        ).hex()
        ok_name = hmac.compare_digest(name, owner["user"])
        ok_password = hmac.compare_digest(digest, owner["digest"])
        return {"name": name, "admin": True} if ok_name and ok_password else None


c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)
c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.authenticator_class = OwnerAuthenticator
# Whoever authenticates is allowed: authenticate() admits the owner alone.
c.Authenticator.allow_all = True
c.JupyterHub.db_url = "sqlite:////var/lib/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/var/lib/jupyterhub/cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "/var/lib/jupyterhub/proxy.pid"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "/notebooks/{username}"
c.Spawner.notebook_dir = "/notebooks/{username}"
c.Spawner.default_url = "/lab"
# A small shared machine: give a first start time.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
