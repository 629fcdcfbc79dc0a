"""Ceph radosgw's admin operations API (``/admin/...``), signed with the site's S3 admin keys.

Only what buckets need: read, make and remove a user, list users. Requests are
signed as S3 requests are (AWS signature version 4, botocore's signer) and sent
with httpx; errors become ``SiteError`` naming the service and the cause.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cumulo.drivers.object_storage.service import S3Service
from cumulo.errors import SiteError

TIMEOUT = 30.0


class AdminOps:
    """The admin API of one S3 service."""

    def __init__(self, service: S3Service, site: str) -> None:
        self.service = service
        self.site = site
        self._credentials = Credentials(service.access_key, service.secret_key)
        self._client = httpx.Client(timeout=TIMEOUT)

    def _call(self, method: str, path: str, params: dict[str, str]) -> httpx.Response:
        url = f"{self.service.endpoint}/admin/{path}?{urlencode(params, quote_via=quote)}"
        request = AWSRequest(method=method, url=url, data=b"")
        S3SigV4Auth(self._credentials, "s3", self.service.region).add_auth(request)
        try:
            return self._client.request(method, url, headers=dict(request.headers.items()))
        except httpx.HTTPError as exc:
            raise SiteError(
                f"site {self.site}: S3 service {self.service.endpoint} unreachable: {exc}"
            ) from None

    def _fail(self, what: str, response: httpx.Response) -> SiteError:
        code = _error_code(response)
        return SiteError(
            f"site {self.site}: S3 service {self.service.endpoint}: {what} failed "
            f"(HTTP {response.status_code} {code})"
        )

    def user(self, uid: str) -> dict[str, Any] | None:
        """The user's record (with its keys), or None when there is none."""
        response = self._call("GET", "user", {"uid": uid, "format": "json"})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(f"reading user {uid}", response)
        return response.json()

    def create_user(self, uid: str, display_name: str, access: str, secret: str) -> None:
        """A user owning at most one bucket, with the key pair given."""
        params = {"uid": uid, "display-name": display_name, "access-key": access,
                  "secret-key": secret, "key-type": "s3", "max-buckets": "1",
                  "format": "json"}  # fmt: skip
        response = self._call("PUT", "user", params)
        if response.status_code == 409 and _error_code(response) == "KeyExists":
            raise SiteError(f"site {self.site}: the access key {access} belongs to another S3 user")
        if response.status_code not in (200, 409):  # 409 UserAlreadyExists: a retry
            raise self._fail(f"making user {uid}", response)

    def remove_user(self, uid: str) -> None:
        """Remove the user with its buckets and their objects; already gone is success."""
        response = self._call("DELETE", "user", {"uid": uid, "purge-data": "true"})
        if response.status_code not in (200, 404):
            raise self._fail(f"removing user {uid}", response)

    def user_ids(self) -> list[str]:
        response = self._call("GET", "metadata/user", {"format": "json"})
        if response.status_code != 200:
            raise self._fail("listing users", response)
        return [str(u) for u in response.json()]

    def buckets_of(self, uid: str) -> list[str]:
        response = self._call("GET", "bucket", {"uid": uid, "format": "json"})
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise self._fail(f"listing the buckets of {uid}", response)
        return [str(b) for b in response.json()]


def _error_code(response: httpx.Response) -> str:
    try:
        return str(json.loads(response.text).get("Code") or "")
    except (ValueError, AttributeError):
        return response.text[:200]
