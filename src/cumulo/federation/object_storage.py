"""Object storage: which nodes are S3 buckets, and which sites have an S3 service.

A site has one when its definition declares ``s3`` (an endpoint and admin
keys, set by the site's admin); a ``tosca.nodes.indigo.S3Bucket`` node is made
on it. A site without one is left out before anything is tried, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cumulo.federation.model import Needs, SiteView

S3_BUCKET = "tosca.nodes.indigo.S3Bucket"


def bucket_nodes(instances: Iterable[Any]) -> tuple[str, ...]:
    """The nodes of a plan's instances that are S3 buckets, each once, in plan order."""
    return tuple(dict.fromkeys(i.node for i in instances if S3_BUCKET in i.types))


def no_s3_service(site: SiteView, needs: Needs) -> str | None:
    """Why ``site`` cannot take ``needs`` for want of an S3 service, or None."""
    if not needs.buckets or site.s3:
        return None
    return f"site {site.name} has no S3 service (node {needs.buckets[0]} is an S3 bucket)"
