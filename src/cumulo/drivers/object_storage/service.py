"""A site's S3 service as the admin declares it, and its administrator's keys.

The site definition's ``s3`` (``cumulo.engine.sites.definitions.S3Def``) gives
the endpoint and a credentials reference; the reference is stored sealed in the
site's options and opened only to build the site's driver. Its forms:

- ``keys:ACCESS_KEY:SECRET_KEY``: the keys themselves;
- ``env:NAME`` / ``file:PATH``: the variable or file (of the server's own
  environment: an admin's setting) holds ``ACCESS_KEY:SECRET_KEY`` or a ``keys:`` form.

The keys are those of an S3 administrator: on Ceph's radosgw a user with the
caps ``users=*;buckets=*`` (its admin operations API makes each bucket's user).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cumulo.drivers.credential_references import follow
from cumulo.errors import SiteError

FORMS = "keys:ACCESS_KEY:SECRET_KEY, env:NAME or file:PATH"
DEFAULT_REGION = "us-east-1"  # radosgw accepts any; S3 clients want one


@dataclass(frozen=True)
class S3Service:
    """Where a site's S3 answers and who administers it (never logged nor shown)."""

    endpoint: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = DEFAULT_REGION


def admin_keys(site: str, reference: str) -> tuple[str, str]:
    """(access key, secret key) of a credentials reference, indirections followed."""
    where = f"site {site}: s3.credentials"
    value = follow(where, reference)
    if value.startswith("keys:"):
        value = value.removeprefix("keys:")
    elif value == reference.strip():  # not read from a variable or a file: a form of its own
        kind = value.partition(":")[0]
        raise SiteError(f"{where}: unknown form {kind!r}; use one of {FORMS}")
    access, _, secret = value.partition(":")
    if not access or not secret:
        raise SiteError(f"{where}: expected ACCESS_KEY:SECRET_KEY")
    return access, secret


def s3_service(site: str, settings: Mapping[str, Any] | None, reference: str | None) -> S3Service:
    """The site's S3 service from its stored ``s3`` settings and opened credentials."""
    if not settings or not settings.get("endpoint"):
        raise SiteError(f"site {site} has no S3 service")
    if not reference:
        raise SiteError(f"site {site}: s3.credentials is not set (one of {FORMS})")
    access, secret = admin_keys(site, reference)
    region = str(settings.get("region") or DEFAULT_REGION)
    return S3Service(str(settings["endpoint"]).rstrip("/"), access, secret, region)
