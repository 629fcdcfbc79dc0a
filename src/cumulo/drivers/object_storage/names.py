"""Names on the S3 service: a node instance's bucket, its S3 user and that user's access key.

All three are derived from (deployment, node, index), so a retried ``create``
finds what it made before, and ``delete_deployment`` finds a deployment's users
by their common prefix. A bucket name given by the template is checked against
S3's rules for bucket names (the ones Ceph and AWS share).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from cumulo.drivers.base import NodeRequest
from cumulo.errors import SiteError

USER_PREFIX = "cumulo-"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RULES = (
    "3-63 lower-case letters, digits, '.' or '-', starting and ending with a letter or digit, "
    "no '..', not an IP address"
)


def bucket_problem(name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name, or None."""
    if not _BUCKET.match(name):
        return f"bucket name {name!r} is not valid: {_RULES}"
    if ".." in name or ".-" in name or "-." in name:
        return f"bucket name {name!r} is not valid: no '..', '.-' or '-.'"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return f"bucket name {name!r} is not valid: it looks like an IP address"
    if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3")):
        return f"bucket name {name!r} is not valid: a prefix or suffix S3 reserves"
    return None


def _slug(text: str, size: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:size].strip("-")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def bucket_name(request: NodeRequest) -> str:
    """The template's ``bucket_name`` (checked), else one derived from the instance:
    node, index and a digest of the deployment, unique on the service."""
    given = request.properties.get("bucket_name")
    if given not in (None, ""):
        name = str(given)
        problem = bucket_problem(name)
        if problem:
            raise SiteError(f"node {request.node}: properties.bucket_name: {problem}")
        return name
    digest = _digest(request.deployment_id, request.node)[:12]
    node = _slug(request.node, 40) or "bucket"
    return f"{node}-{request.index}-{digest}"


def user_prefix(deployment_id: str) -> str:
    """The common start of a deployment's S3 user ids."""
    return f"{USER_PREFIX}{_slug(deployment_id, 64)}."


def user_id(request: NodeRequest) -> str:
    """The S3 user of one node instance: ``cumulo-<deployment>.<node>-<index>-<digest>``."""
    node = _slug(request.node, 40) or "node"
    digest = _digest(request.deployment_id, request.node, str(request.index))[:8]
    return f"{user_prefix(request.deployment_id)}{node}-{request.index}-{digest}"


def access_key(uid: str) -> str:
    """The access key id of a user cumulo makes: 20 upper-case characters, as S3's are."""
    return "CU" + _digest("access-key", uid)[:18].upper()
