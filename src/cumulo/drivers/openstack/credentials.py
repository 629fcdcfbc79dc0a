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

The user's OIDC access token exchanged through Keystone federation
(``v3oidcaccesstoken``) is ``federated_auth``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cumulo.errors import SiteError

FORMS = "clouds:NAME, application-credential:ID:SECRET, password:USER:PASSWORD, token:TOKEN"


def resolve(site: str, reference: str, depth: int = 0) -> str:
    """The reference with ``env:`` and ``file:`` indirections followed."""
    kind, _, rest = reference.partition(":")
    if kind == "env":
        value = os.environ.get(rest)
        if not value:
            raise SiteError(f"site {site}: credentials env:{rest}: the variable is not set")
    elif kind == "file":
        try:
            value = Path(rest).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SiteError(f"site {site}: credentials file:{rest}: {exc.strerror}") from None
    else:
        return reference
    if depth > 2:
        raise SiteError(f"site {site}: credentials: too many env:/file: indirections")
    return resolve(site, value.strip(), depth + 1)


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


def federated_auth(endpoint: str, options: Mapping[str, Any], access_token: str) -> dict[str, Any]:
    """Keystone federation: the user's OIDC access token for a project-scoped token.

    The site's options name the identity provider and protocol Keystone maps the
    token through (``identity_provider``, ``protocol``: ``openid`` by default)
    and the project (``project_name`` / ``project_id``).
    """
    idp = options.get("identity_provider")
    if not idp:
        raise SiteError("site options: identity_provider is required for Keystone federation")
    auth = {
        "auth_url": endpoint,
        "identity_provider": idp,
        "protocol": options.get("protocol", "openid"),
        "access_token": access_token,
        **_project("", options),
    }
    return {"auth_type": "v3oidcaccesstoken", "auth": auth}


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
