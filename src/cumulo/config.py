"""Settings of a cumulo installation, overridable by ``CUMULO_*`` environment variables.

One ``Settings`` object is built at start (``cumulo serve``/``cumulo worker``,
or a test) and handed down; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DOCKER_SOCKET = "unix:///var/run/docker.sock"


def _default_docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_SOCKET


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUMULO_", extra="ignore")

    data_dir: Path = Path("./var")
    # Empty means SQLite in the data directory (see ``db_url``).
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # Worker threads started by ``cumulo serve`` (0: API only).
    workers: int = Field(default=2, ge=0)
    docker_host: str = Field(default_factory=_default_docker_host)
    # Name under which the local Docker engine is registered as a site.
    local_site_name: str = "local"
    # TOSCA imports served from local folders, ``URL_PREFIX=DIR`` entries separated
    # by ";" (added to the processor's own map of our INDIGO types).
    import_map: str = ""
    allow_network_imports: bool = False
    # Operation playbooks fetched from URLs outside the import map (network imports on
    # too). Such a playbook is code that Ansible runs partly on this machine (lookups,
    # vars_files, fetch/copy/template sources): off on a shared site.
    allow_network_playbooks: bool = False
    # Folders of the playbooks that operations name by relative path, separated
    # by ";" (after the catalogue's own folder).
    playbook_dirs: str = ""
    # Folders of catalogue entries (NAME.yaml + NAME.meta.yaml) separated by ";", after
    # cumulo's own; a later folder's entry replaces an earlier one of the same name.
    catalogue_dirs: str = ""
    # A job whose worker has not renewed its lease for this long is taken over.
    job_lease_seconds: float = Field(default=30.0, gt=0)
    # How often an idle worker looks for a job (it is also woken on enqueue in-process).
    job_poll_seconds: float = Field(default=0.5, gt=0)
    default_ssh_user: str = "cloudadm"
    # Outputs may name services <name>.<ip>.<dns_zone>; with dns_port > 0, cumulo
    # serve answers such names itself on 127.0.0.1:dns_port (a wildcard DNS).
    dns_zone: str = Field(default="myip.localhost", pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
    dns_port: int = Field(default=0, ge=0, le=65535)
    # Instances one deployment may have (every node template's count summed), checked
    # before any count is expanded; also the most node templates a template may have.
    max_instances_per_deployment: int = Field(default=200, ge=1, le=10_000)
    # Used when a request gives no timeoutMins / providerTimeoutMins.
    default_timeout_mins: int = Field(default=720, ge=1)
    default_provider_timeout_mins: int = Field(default=30, ge=1)
    # The site registry file (sites and SLAs, YAML) loaded by serve and worker at start.
    sites_file: Path | None = None
    # Seconds between health probes of every site (0: no periodic probes).
    health_probe_seconds: float = Field(default=60.0, ge=0)
    # Seconds between the reconciler's looks at every running node (0: never, not even
    # on a site's events); nodes found down are restarted (engine/lifecycle/reconcile.py).
    reconcile_seconds: float = Field(default=30.0, ge=0)
    # The URL clients reach the API at (links in callbacks); default http://host:port.
    public_url: str = ""
    # A callback POST gives up after this long, and is tried this many times in all.
    callback_timeout_seconds: float = Field(default=5.0, gt=0)
    callback_tries: int = Field(default=5, ge=1)
    # Requests made on a user's behalf (compose URLs, callbacks, network imports, playbook
    # URLs) go to public addresses only, plus these entries, comma-separated: IP, CIDR or
    # host name, each with an optional :port (see cumulo.egress.policy).
    egress_allow: str = ""
    # Also allow the private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7);
    # never loopback, link-local, metadata or reserved addresses.
    egress_allow_private: bool = False
    # The dashboard's "e-mail me when complete": an SMTP server (empty: not offered).
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = "cumulo@localhost"
    # SQLite: how long a writer waits for the database lock.
    sqlite_busy_timeout_ms: int = 15000
    # Secrets at rest: comma-separated Fernet keys, the primary first; empty means the
    # key ring file ``secret.keys`` in the data directory (created at first start).
    secret_keys: str = ""
    # Identity. The first start creates the local account "admin" with this password
    # (empty: a generated one, printed once) in the admin group.
    admin_password: str = ""
    # Members of this group (local or from the OIDC groups claim) see and manage everything.
    admin_group: str = "admins"
    # Lifetime of API tokens made by ``cumulo tokens create`` and at first start (0: none).
    api_token_days: float = Field(default=90, ge=0)
    # OIDC providers whose tokens are accepted: comma-separated issuer URLs (allow-list).
    oidc_issuers: str = ""
    # A JWT access token must name it in ``aud``; empty: the client id below; "*": any.
    oidc_audience: str = ""
    # The claim holding the user's groups: groups, wlcg.groups, eduperson_entitlement...
    oidc_groups_claim: str = "groups"
    # The dashboard's OIDC client (authorization code + PKCE); also used for introspection.
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    # How long the answer about an opaque token (userinfo/introspection) is reused.
    oidc_token_cache_seconds: float = Field(default=60, ge=0)
    # The OIDC issuer the notebooks' hubs log users in with (a deployment's iam_groups):
    # empty: the first of oidc_issuers; "none": no OIDC login on hubs. Nodes must reach
    # it (a provider on the host's loopback is out of a container's reach).
    hub_oidc_issuer: str = ""
    # The hubs' client at that provider, set by the admin: used by a hub when the provider
    # offers no dynamic client registration (RFC 7591) or refuses it. Its redirect URIs
    # must admit the hubs' (http://127.0.0.1:PORT/hub/oauth_callback on the local site).
    hub_oidc_client_id: str = ""
    hub_oidc_client_secret: str = ""
    # Dashboard cookies get ``Secure`` when this is on, or when the request came over TLS.
    cookie_secure: bool = False

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cumulo.db').resolve()}"

    @property
    def public_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def oidc_issuer_list(self) -> list[str]:
        return [i.strip().rstrip("/") for i in self.oidc_issuers.split(",") if i.strip()]

    @property
    def hub_oidc_issuer_url(self) -> str:
        """The issuer of the notebooks' hubs ("" when they use no OIDC provider)."""
        if self.hub_oidc_issuer.strip().lower() == "none":
            return ""
        issuers = self.oidc_issuer_list
        return self.hub_oidc_issuer.strip().rstrip("/") or (issuers[0] if issuers else "")

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir
