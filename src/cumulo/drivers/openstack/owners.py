"""A federated site's connections: each deployment's calls made as its owner.

A site whose options name an ``identity_provider`` acts as the deployment's
owner, as INFN Cloud does "from PaaS to IaaS": the engine's ``OwnerLookup``
(``SiteInfo.owner_auth``) gives the owner and a fresh OIDC access token, which
Keystone federation (``v3oidcaccesstoken``) exchanges for a token of the project
of the deployment's group (``options.projects``). One connection per owner and
project is kept, and made again when the access token changes (refreshed by the
engine at a later step). The site's own ``credentials``, when set, serve only
its probes and pings.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from keystoneauth1 import exceptions as ksa
from keystoneauth1 import session

from cumulo.drivers.base import SiteInfo
from cumulo.drivers.openstack.calls import (
    CONNECT_TIMEOUT,
    CloudCalls,
    Unreachable,
    cloud_message,
    translate,
)
from cumulo.drivers.openstack.credentials import federated_auth, group_project
from cumulo.errors import SiteError

KEPT = 64  # owners' connections kept per site (least recently used dropped)


def is_federated(options: Any) -> bool:
    return bool((options or {}).get("identity_provider"))


def ping_keystone(site: SiteInfo) -> None:
    """A real call for a site without credentials of its own (federation only): its
    Keystone answers with its version document."""
    what = f"site {site.name}"
    try:
        session.Session().get(site.endpoint, timeout=CONNECT_TIMEOUT, raise_exc=True)
    except (ksa.ConnectFailure, ksa.ConnectTimeout, ksa.UnknownConnectionError) as exc:
        raise Unreachable(
            f"{what}: the API of site {site.name} is unreachable: {cloud_message(exc)}"
        ) from None
    except ksa.ClientException as exc:
        raise translate(site.name, what, exc) from None


class OwnerConnections:
    """``CloudCalls`` per deployment owner and project of one federated site."""

    def __init__(self, site: SiteInfo, retry_delays: tuple[float, ...]) -> None:
        self.site = site
        self.options = dict(site.options or {})
        self.retry_delays = retry_delays
        self._kept: OrderedDict[tuple[str, str], tuple[str, CloudCalls]] = OrderedDict()
        self._lock = threading.Lock()

    def calls(
        self, *, deployment_id: str | None = None, physical_id: str | None = None
    ) -> CloudCalls:
        """The connection of the owner of ``deployment_id`` (or of resource ``physical_id``)."""
        name = self.site.name
        acting = f"site {name} acts as the deployment's owner (Keystone federation)"
        if self.site.owner_auth is None:
            raise SiteError(f"{acting}, and no owner is known for this call")
        try:
            owner = self.site.owner_auth(deployment_id=deployment_id, physical_id=physical_id)
            token = owner.access_token()
        except SiteError as exc:
            raise SiteError(f"{acting}: {exc}") from None
        project = group_project(name, self.options, owner.group)
        key = (owner.owner, repr(sorted(project.items())))
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == digest:
                self._kept.move_to_end(key)
                return kept[1]
        config = federated_auth(self.site.endpoint, self.options, token, project)
        region = {"region_name": self.options["region"]} if self.options.get("region") else {}
        made = CloudCalls(name, self.site.endpoint, None, self.options, {**config, **region})
        made.retry_delays = self.retry_delays
        with self._lock:  # a replaced one may still serve a call: dropped, not closed
            self._kept.pop(key, None)
            self._kept[key] = (digest, made)
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return made

    def close(self) -> None:
        with self._lock:
            kept, self._kept = list(self._kept.values()), OrderedDict()
        for _, calls in kept:
            calls.close()
