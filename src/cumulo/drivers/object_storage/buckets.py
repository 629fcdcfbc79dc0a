"""``tosca.nodes.indigo.S3Bucket`` on a site's S3 service: a bucket and a user scoped to it.

Each node instance gets its own S3 user (``names.user_id``), made through the
admin API with the key pair the template gives (``aws_secret_key``: the owner
sets it, as a sensitive input, so no output ever carries it) and allowed one
bucket; the bucket is made *by that user*, so its keys reach that bucket and no
other (another deployment's bucket answers AccessDenied). The bucket is tagged
with the deployment, node, index and site, and with ``cumulo.keep`` when the
node's ``delete_on_termination`` is false: ``delete_deployment`` then leaves
bucket and user in place, as volumes are kept. Removing the user removes its
bucket and objects (radosgw's ``purge-data``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cumulo.drivers.base import NodeRequest, Realized
from cumulo.drivers.object_storage.admin_ops import AdminOps
from cumulo.drivers.object_storage.names import access_key, bucket_name, user_id, user_prefix
from cumulo.drivers.object_storage.service import S3Service
from cumulo.errors import SiteError

S3_BUCKET_TYPES = frozenset({"tosca.nodes.indigo.S3Bucket"})
PREFIX = "s3user:"  # physical ids: the bucket's user
KEEP = "cumulo.keep"
_SECRET = re.compile(r"^[\x21-\x7e]{8,128}$")  # printable, no spaces
_ACCESS = re.compile(r"^[A-Za-z0-9]{16,128}$")
T = TypeVar("T")


def is_bucket(request: NodeRequest) -> bool:
    return any(t in S3_BUCKET_TYPES for t in request.types)


def user_of(physical_id: str) -> str | None:
    """The S3 user of a bucket's physical id, or None for anything else."""
    return physical_id.removeprefix(PREFIX) if physical_id.startswith(PREFIX) else None


def _kept(request: NodeRequest) -> bool:
    return request.properties.get("delete_on_termination") in (False, "false", "False", "no")


def _versioned(request: NodeRequest) -> bool:
    return request.properties.get("enable_versioning") in (True, "true", "True", "yes")


def _secret(request: NodeRequest) -> str:
    value = request.properties.get("aws_secret_key")
    if not isinstance(value, str) or not _SECRET.match(value):
        raise SiteError(
            f"node {request.node}: properties.aws_secret_key must be 8-128 printable "
            "characters without spaces (the secret key of the bucket's credentials)"
        )
    return value


def _access_key(request: NodeRequest) -> str | None:
    """The access key id the template gives, if any (else cumulo derives one)."""
    value = request.properties.get("aws_access_key")
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _ACCESS.match(value):
        raise SiteError(
            f"node {request.node}: properties.aws_access_key must be 16-128 letters or digits"
        )
    return value


class Buckets:
    """Buckets and their users on one S3 service."""

    def __init__(self, service: S3Service, site: str) -> None:
        self.service = service
        self.site = site
        self.admin = AdminOps(service, site)

    def _client(self, access: str, secret: str) -> Any:
        return boto3.session.Session().client(  # a session each: clients made in threads
            "s3", endpoint_url=self.service.endpoint, region_name=self.service.region,
            aws_access_key_id=access, aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                          connect_timeout=10, read_timeout=30),
        )  # fmt: skip

    def _s3(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise SiteError(
                f"{what} on site {self.site}: S3 answered {error.get('Code')}"
            ) from None
        except BotoCoreError as exc:
            raise SiteError(f"{what} on site {self.site}: S3 service unreachable: {exc}") from None

    # -- create -----------------------------------------------------------------

    def create(self, request: NodeRequest) -> Realized:
        name, uid, secret = bucket_name(request), user_id(request), _secret(request)
        access = _access_key(request) or access_key(uid)
        found = self.admin.user(uid)
        if found is None:
            label = f"bucket {name} of deployment {request.deployment_id}"
            self.admin.create_user(uid, label, access, secret)
        elif not any(
            k.get("access_key") == access and k.get("secret_key") == secret
            for k in found.get("keys") or ()
        ):
            raise SiteError(
                f"node {request.node}: its S3 user {uid} exists on site {self.site} with other keys"
            )
        client = self._client(access, secret)
        if name not in self.admin.buckets_of(uid):  # else made by a try before this one
            self._make_bucket(request.node, client, name)
        tags = {"cumulo.deployment": request.deployment_id, "cumulo.node": request.node,
                "cumulo.index": str(request.index), "cumulo.site": self.site,
                KEEP: str(_kept(request)).lower()}  # fmt: skip
        what = f"node {request.node}: bucket {name}"
        self._s3(what, lambda: client.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ))  # fmt: skip
        if _versioned(request):
            self._s3(what, lambda: client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": "Enabled"}
            ))  # fmt: skip
        return Realized(PREFIX + uid, self.attributes(name, access, _kept(request)))

    def _make_bucket(self, node: str, client: Any, name: str) -> None:
        try:
            client.create_bucket(Bucket=name)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "BucketAlreadyOwnedByYou":
                return  # made by a try that failed after
            if code == "BucketAlreadyExists":
                raise SiteError(
                    f"node {node}: bucket name {name} is taken on the S3 service of site "
                    f"{self.site}; choose another bucket_name"
                ) from None
            raise SiteError(
                f"node {node}: bucket {name} could not be made on site {self.site}: S3 "
                f"answered {code}"
            ) from None
        except BotoCoreError as exc:
            raise SiteError(
                f"node {node}: site {self.site}: S3 service unreachable: {exc}"
            ) from None

    def attributes(self, name: str, access: str, kept: bool) -> dict[str, Any]:
        """INFN's names: the bucket, where S3 answers (also in parts, for applications
        configured by host and port), the access key; never the secret."""
        url = urlsplit(self.service.endpoint)
        secure = url.scheme == "https"
        return {"bucket_name": name, "s3_url": self.service.endpoint,
                "s3_host": url.hostname, "s3_port": url.port or (443 if secure else 80),
                "s3_secure": secure, "aws_access_key": access,
                "kept_on_delete": kept}  # fmt: skip

    # -- lifecycle -------------------------------------------------------------------

    def delete(self, physical_id: str) -> None:
        uid = user_of(physical_id)
        if uid:
            self.admin.remove_user(uid)

    def delete_deployment(self, deployment_id: str) -> list[str]:
        """Remove the deployment's buckets and users, except those to be kept."""
        prefix = user_prefix(deployment_id)
        removed = []
        for uid in self.admin.user_ids():
            if uid.startswith(prefix) and not self._is_kept(uid):
                self.admin.remove_user(uid)
                removed.append(PREFIX + uid)
        return removed

    def _is_kept(self, uid: str) -> bool:
        user = self.admin.user(uid)
        keys = (user or {}).get("keys") or []
        if not keys:
            return False
        client = self._client(keys[0]["access_key"], keys[0]["secret_key"])
        for name in self.admin.buckets_of(uid):
            try:
                tags = client.get_bucket_tagging(Bucket=name).get("TagSet") or []
            except ClientError:
                continue  # no tags (NoSuchTagSet) or no bucket: not kept
            except BotoCoreError as exc:
                raise SiteError(f"site {self.site}: S3 service unreachable: {exc}") from None
            if any(t.get("Key") == KEEP and t.get("Value") == "true" for t in tags):
                return True
        return False

    def observe(self, physical_id: str) -> str:
        uid = user_of(physical_id) or ""
        return "STARTED" if self.admin.user(uid) is not None else "DELETED"
