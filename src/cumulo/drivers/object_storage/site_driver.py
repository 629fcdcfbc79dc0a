"""A site's driver with its S3 service: buckets beside whatever the site's kind makes.

``WithBuckets`` wraps the driver of any site kind (docker, openstack, ...) whose
definition declares ``s3``: S3Bucket nodes (and their physical ids) go to
``Buckets``, everything else to the site's own driver, unchanged. Optional
abilities of the wrapped driver (``watch_nodes``, ``local_images``,
``inventory``, ...) show through, so the engine sees the same driver plus one
node type.
"""

from __future__ import annotations

from typing import Any

from cumulo.drivers.base import Driver, NodeRequest, Realized, SiteInfo, Waiting
from cumulo.drivers.object_storage.buckets import S3_BUCKET_TYPES, Buckets, is_bucket, user_of
from cumulo.drivers.object_storage.service import s3_service


class WithBuckets:
    """The Driver protocol: ``inner`` plus ``buckets``."""

    def __init__(self, inner: Driver, buckets: Buckets) -> None:
        self.inner = inner
        self.buckets = buckets
        self.kind = inner.kind
        self.native_types = inner.native_types | S3_BUCKET_TYPES

    def __getattr__(self, name: str) -> Any:
        if name == "observe_attributes" and hasattr(self.inner, name):
            return self._observe_attributes
        return getattr(self.inner, name)  # the inner driver's optional abilities

    def realizes(self, request: NodeRequest) -> bool:
        return is_bucket(request) or self.inner.realizes(request)

    def create(self, request: NodeRequest) -> Realized | Waiting:
        return self.buckets.create(request) if is_bucket(request) else self.inner.create(request)

    def wait_ready(self, request: NodeRequest, realized: Realized, deadline: float) -> Realized:
        if is_bucket(request):
            return realized  # usable once made
        return self.inner.wait_ready(request, realized, deadline)

    def check_ready(
        self, request: NodeRequest, realized: Realized, wait: float
    ) -> Realized | Waiting:
        if is_bucket(request):
            return realized
        return self.inner.check_ready(request, realized, wait)

    def delete(self, physical_id: str) -> None:
        if user_of(physical_id):
            self.buckets.delete(physical_id)
        else:
            self.inner.delete(physical_id)

    def delete_deployment(self, deployment_id: str) -> list[str]:
        return self.inner.delete_deployment(deployment_id) + self.buckets.delete_deployment(
            deployment_id
        )

    def start(self, physical_id: str) -> dict[str, Any]:
        return {} if user_of(physical_id) else self.inner.start(physical_id)

    def stop(self, physical_id: str) -> None:
        if not user_of(physical_id):
            self.inner.stop(physical_id)

    def observe(self, physical_id: str) -> str:
        if user_of(physical_id):
            return self.buckets.observe(physical_id)
        return self.inner.observe(physical_id)

    def _observe_attributes(self, physical_id: str) -> dict[str, Any] | None:
        if user_of(physical_id):
            return None  # nothing of a bucket moves behind cumulo's back
        return self.inner.observe_attributes(physical_id)  # type: ignore[attr-defined]

    def ping(self) -> None:
        self.inner.ping()


def with_buckets(inner: Driver, site: SiteInfo) -> WithBuckets:
    """``inner`` with the S3 service of ``site`` (its ``s3``, credentials opened)."""
    settings = site.s3 or {}
    service = s3_service(site.name, settings, settings.get("credentials"))
    return WithBuckets(inner, Buckets(service, site.name))
