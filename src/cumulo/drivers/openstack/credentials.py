"""A site's credentials reference, turned into what openstacksdk connects with.

The reference is stored sealed in the registry (``cumulo.secrets``) and opened
by the engine only to build the site's driver. Its forms:

- ``clouds:NAME``: cloud ``NAME`` of a clouds.yaml (the site option
  ``clouds_yaml``, else openstacksdk's usual places);
- ``application-credential:ID:SECRET``: a Keystone application credential
  (bound to its project);
- ``password:USER:PASSWORD``: a user of the site option ``user_domain_name``
  (Default) in project ``project_name`` / ``project_id`` (``project_domain_name``);
- ``token:TOKEN``: a Keystone token, scoped to that project;
- ``env:NAME`` / ``file:PATH``: the variable or file (of the server's own
  environment: an admin's setting) holds one of the forms above.

A site whose options name an ``identity_provider`` acts as each deployment's
owner instead: the owner's OIDC access token is exchanged through Keystone
federation (``v3oidcaccesstoken``, ``federated_auth``) for a token of the
project of the deployment's group (``group_project``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cumulo.drivers.credential_references import follow
from cumulo.errors import SiteError

FORMS = "clouds:NAME, application-credential:ID:SECRET, password:USER:PASSWORD, token:TOKEN"


def resolve(site: str, reference: str) -> str:
    """The reference with ``env:`` and ``file:`` indirections followed."""
    return follow(f"site {site}: credentials", reference)


def connection_config(
    site: str, endpoint: str, reference: str | None, options: Mapping[str, Any]
) -> dict[str, Any]:
    """Keyword arguments of ``openstack.connection.Connection`` for the site.

    A ``clouds:`` reference gives ``{"config": CloudRegion}``; the others give
    ``auth_type``, ``auth`` and the region.
    """
    if not reference:
        raise SiteError(f"site {site}: no credentials (set credentials: one of {FORMS})")
    text = resolve(site, reference)
    kind, _, rest = text.partition(":")
    region = {"region_name": options["region"]} if options.get("region") else {}
    if kind == "clouds":
        return {"config": _cloud_region(site, rest, options)}
    if not endpoint:
        raise SiteError(f"site {site}: endpoint: the Keystone v3 URL is required")
    auth: dict[str, Any] = {"auth_url": endpoint}
    if kind == "application-credential":
        ident, _, secret = rest.partition(":")
        _require(site, kind, ident and secret, "ID:SECRET")
        auth |= {"application_credential_id": ident, "application_credential_secret": secret}
        return {"auth_type": "v3applicationcredential", "auth": auth, **region}
    if kind == "password":
        user, _, password = rest.partition(":")
        _require(site, kind, user and password, "USER:PASSWORD")
        auth |= {"username": user, "password": password, **_project(site, options)}
        auth["user_domain_name"] = options.get("user_domain_name", "Default")
        return {"auth_type": "password", "auth": auth, **region}
    if kind == "token":
        _require(site, kind, rest, "TOKEN")
        auth |= {"token": rest, **_project(site, options)}
        return {"auth_type": "v3token", "auth": auth, **region}
    raise SiteError(f"site {site}: credentials: unknown form {kind!r}; use one of {FORMS}")


def federated_auth(
    endpoint: str,
    options: Mapping[str, Any],
    access_token: str,
    project: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Keystone federation: the user's OIDC access token for a project-scoped token.

    The site's options name the identity provider and protocol Keystone maps the
    token through (``identity_provider``, ``protocol``: ``openid`` by default)
    and the project (``project_name`` / ``project_id``), unless ``project`` (from
    ``group_project``) says which.
    """
    idp = options.get("identity_provider")
    if not idp:
        raise SiteError("site options: identity_provider is required for Keystone federation")
    auth = {
        "auth_url": endpoint,
        "identity_provider": idp,
        "protocol": options.get("protocol", "openid"),
        "access_token": access_token,
        **(project or _project("", options)),
    }
    return {"auth_type": "v3oidcaccesstoken", "auth": auth}


def group_project(site: str, options: Mapping[str, Any], group: str | None) -> dict[str, Any]:
    """The project a group's deployments go to on a federated site: ``options.projects``
    maps groups to project names (INFN maps each IAM group to a project); a group not
    named there (or no group) gets ``project_name`` / ``project_id``."""
    projects = options.get("projects") or {}
    if not isinstance(projects, Mapping):
        raise SiteError(f"site {site}: options.projects must map groups to project names")
    if group and group in projects:
        return {"project_name": str(projects[group]),
                "project_domain_name": options.get("project_domain_name", "Default")}  # fmt: skip
    if options.get("project_id") or options.get("project_name"):
        return _project(site, options)
    whose = f"group {group}" if group else "deployments without a group"
    raise SiteError(f"site {site}: no project for {whose} (options.projects or project_name)")


def _cloud_region(site: str, cloud: str, options: Mapping[str, Any]) -> Any:
    import openstack.config  # the library's import costs; only OpenStack sites pay it
    from openstack import exceptions

    files = [str(options["clouds_yaml"])] if options.get("clouds_yaml") else None
    if files and not Path(files[0]).is_file():
        raise SiteError(f"site {site}: options.clouds_yaml: {files[0]} does not exist")
    try:
        config = openstack.config.OpenStackConfig(config_files=files, load_envvars=False)
        return config.get_one(cloud=cloud, region_name=options.get("region"))
    except exceptions.ConfigException as exc:
        raise SiteError(f"site {site}: credentials clouds:{cloud}: {exc}") from None


def _project(site: str, options: Mapping[str, Any]) -> dict[str, Any]:
    if options.get("project_id"):
        return {"project_id": options["project_id"]}
    if options.get("project_name"):
        return {
            "project_name": options["project_name"],
            "project_domain_name": options.get("project_domain_name", "Default"),
        }
    where = f"site {site}: " if site else ""
    raise SiteError(f"{where}options: project_name or project_id is required")


def _require(site: str, kind: str, ok: Any, shape: str) -> None:
    if not ok:
        raise SiteError(f"site {site}: credentials {kind}: expected {kind}:{shape}")
