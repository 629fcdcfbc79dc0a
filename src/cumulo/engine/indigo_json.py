"""Rows to INDIGO JSON: field names, time format, links; null fields omitted.

In the engine, not the API, because the engine sends the same JSON to callbacks
and the engine may not import the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cumulo.store.db import utcnow
from cumulo.store.models import Deployment, Resource, Site

# Attribute names that may carry secrets; never shown in a resource's metadata.
_SECRET_HINTS = ("credential", "password", "private", "token", "secret")


def format_time(dt: datetime | None) -> str | None:
    """INDIGO's ``yyyy-MM-dd'T'HH:mmZ`` in UTC, e.g. ``2016-10-12T07:02+0000``."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M+0000")


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def link(rel: str, href: str) -> dict[str, str]:
    return {"rel": rel, "href": href}


def deployment_json(dep: Deployment, base: str, site: Site | None = None) -> dict[str, Any]:
    href = f"{base}/deployments/{dep.id}"
    endpoint = None
    if site is not None:
        endpoint = {
            "cpEndpoint": site.endpoint,
            "cpComputeServiceId": site.name,
            "deploymentType": site.kind.upper(),
        }
    return _drop_none(
        {
            "uuid": dep.id,
            "creationTime": format_time(dep.created_at),
            "updateTime": format_time(dep.updated_at),
            "physicalId": dep.physical_id,
            "status": dep.status,
            # In progress: what it waits for and since how long; else why it ended so.
            "statusReason": waiting_reason(dep) or dep.status_reason,
            "outputs": dep.outputs or {},
            "task": dep.task,
            "callback": dep.callback,
            "userGroup": dep.user_group,
            "cloudProviderName": dep.site_name,
            "cloudProviderEndpoint": endpoint,
            "createdBy": {"issuer": dep.owner_issuer, "subject": dep.owner_subject},
            "links": [
                link("self", href),
                link("resources", f"{href}/resources"),
                link("template", f"{href}/template"),
            ],
        }
    )


def _public_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if not any(h in k.lower() for h in _SECRET_HINTS)}


def resource_json(res: Resource, base: str) -> dict[str, Any]:
    dep_href = f"{base}/deployments/{res.deployment_id}"
    metadata = _drop_none(
        {
            "nodeIndex": res.node_index,
            "site": res.site_name,
            "attributes": _public_attributes(res.attributes or {}) or None,
        }
    )
    return _drop_none(
        {
            "uuid": res.id,
            "creationTime": format_time(res.created_at),
            "updateTime": format_time(res.updated_at),
            "physicalId": res.physical_id,
            "state": res.state,
            "toscaNodeType": res.node_type,
            "toscaNodeName": res.node_name,
            "requiredBy": list(res.required_by or []),
            "metadata": metadata,
            "links": [
                link("deployment", dep_href),
                link("self", f"{dep_href}/resources/{res.id}"),
            ],
        }
    )


def waiting_reason(dep: Any, now: datetime | None = None) -> str | None:
    """ "node app[0]: waiting for port 80 ..., 12 s" or "queued, 3 s" while in progress."""
    if not dep.waiting_for or not str(dep.status).endswith("_IN_PROGRESS"):
        return None
    if dep.waiting_since is None:
        return dep.waiting_for
    seconds = max(((now or utcnow()) - dep.waiting_since).total_seconds(), 0)
    return f"{dep.waiting_for}, {seconds:.0f} s"
