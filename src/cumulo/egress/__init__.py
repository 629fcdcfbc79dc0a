"""The egress policy: requests cumulo makes on a user's behalf (compose URLs, callbacks,
TOSCA imports, playbook URLs) go only where the site's admin allows.

A leaf room like ``cumulo.errors``: it imports nothing of ours but ``errors``, so every
room may use it. ``tosca/`` (which imports only ``errors``) gets ``fetch`` injected instead.
"""

from cumulo.egress.addresses import classify, literal_ip
from cumulo.egress.client import (
    CONNECTION_FAILURES,
    FetchFailed,
    GuardedTransport,
    allowed_addresses,
    fetch,
    guarded_client,
)
from cumulo.egress.policy import REFUSED, AllowRule, EgressPolicy, EgressRefused

__all__ = [
    "CONNECTION_FAILURES",
    "REFUSED",
    "AllowRule",
    "EgressPolicy",
    "EgressRefused",
    "FetchFailed",
    "GuardedTransport",
    "allowed_addresses",
    "classify",
    "fetch",
    "guarded_client",
    "literal_ip",
]
