# JupyterHub of cumulo/vm-jupyter: one user, the deployment's owner, whose
# password digest set-owner.py wrote; notebook servers are local processes of
# the hub's own (non-root) user, each in /notebooks/NAME (the deployment's volume).
# The hub starts with the container, before its configuration: the owner is read
# at each login, so nobody gets in until set-owner.py has run, and a new password
# (an update) holds at once, without a restart.
# When the deployment asked for OIDC groups and cumulo uses an OIDC provider,
# set-oidc.py wrote oidc.json (the hub's own client of the provider) and the hub
# logs users in with the provider instead: the deployment's owner (by their subject
# at the provider) and members of the allowed groups get in (admins: the owner and
# the admin groups), nobody else (read at the hub's start: set-oidc.py asks for a
# restart when it changes).
import hashlib
import hmac
import json

from jupyterhub.auth import Authenticator

OWNER_FILE = "/etc/jupyterhub/owner.json"
OIDC_FILE = "/etc/jupyterhub/oidc.json"


def _read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _owner():
    return _read(OWNER_FILE)


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


def _owner_or_groups(owner_subject):
    """GenericOAuthenticator that also admits the deployment's owner, as an admin."""
    from oauthenticator.generic import GenericOAuthenticator

    class OwnerOrGroupsAuthenticator(GenericOAuthenticator):
        async def update_auth_model(self, auth_model):
            auth_model = await super().update_auth_model(auth_model)
            user = (auth_model.get("auth_state") or {}).get("oauth_user") or {}
            subject = str(user.get("sub") or "")
            if owner_subject and hmac.compare_digest(subject, owner_subject):
                auth_model["admin"] = True  # check_allowed lets admins in
            return auth_model

    return OwnerOrGroupsAuthenticator


def _use_oidc(c, oidc):
    """GenericOAuthenticator (oauthenticator) with the hub's client of the provider."""
    claim = oidc["groups_claim"]
    auth = c.GenericOAuthenticator  # read by the subclass too
    c.JupyterHub.authenticator_class = _owner_or_groups(oidc.get("owner_subject") or "")
    auth.login_service = oidc["issuer"]
    auth.client_id = oidc["client_id"]
    auth.client_secret = oidc["client_secret"]
    auth.oauth_callback_url = oidc["callback_url"]
    auth.authorize_url = oidc["authorize_url"]
    auth.token_url = oidc["token_url"]
    auth.basic_auth = True  # the client was registered for client_secret_basic (RFC 7591's default)
    auth.userdata_url = oidc["userdata_url"]
    auth.scope = oidc["scope"]
    auth.username_claim = "preferred_username"
    # The groups claim of the user info; a claim name may hold dots (wlcg.groups).
    auth.manage_groups = True
    auth.auth_state_groups_key = lambda state: (state.get("oauth_user") or {}).get(claim) or []
    auth.allowed_groups = set(oidc["allowed_groups"])
    auth.admin_groups = set(oidc["admin_groups"])
    auth.allow_all = False


c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)
c.JupyterHub.bind_url = "http://:8000"
OIDC = _read(OIDC_FILE)
if OIDC:
    _use_oidc(c, OIDC)
else:
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
