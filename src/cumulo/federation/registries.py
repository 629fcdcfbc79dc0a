"""Where a site that pulls container images may pull them from (admin settings).

A Docker-style image name either carries a registry host as its first part
(``quay.io/org/app:1``, ``127.0.0.1:5000/x:1``) or not (``cumulo/vm-jupyter:12``,
``debian:12``: Docker Hub's names). A site that pulls (``capabilities.public_images``):

- with ``options.registry`` (``HOST[:PORT][/PREFIX]``) pulls names without a host
  from that registry instead of Docker Hub (a pull-through mirror, or the registry
  the admin publishes cumulo's images to), and runs them under that name:
  ``REGISTRY/cumulo/vm-jupyter:12``; a one-part name is Docker Hub's ``library/``;
- pulls a name with a host only if the host is the site's own registry or is in
  ``options.allowed_registries`` (default ``DEFAULT_ALLOWED_REGISTRIES``): a user must
  never make the site's engine connect to a host of the user's choice (a metadata
  service, another engine's API).

Pure functions: used by the scheduler's image filter and by the Docker driver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DEFAULT_ALLOWED_REGISTRIES = ("docker.io", "quay.io", "ghcr.io")
DOCKER_HUB = "docker.io"
# Docker Hub's other names for itself.
HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
# A registry host (a DNS name, an IPv4 address or "localhost") with an optional port,
# then optional path components as Docker's reference grammar writes them.
_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REGISTRY = re.compile(rf"^{_HOST}(?::[0-9]{{1,5}})?(?:/{_COMPONENT})*$")
HOST = re.compile(rf"^{_HOST}(?::[0-9]{{1,5}})?$")


def registry_host(image: str) -> str | None:
    """The registry host (with its port) an image name carries, or None (Docker Hub's)."""
    first, slash, _ = image.partition("/")
    if not slash:
        return None
    if "." in first or ":" in first or first == "localhost" or first != first.lower():
        return first.lower()
    return None


def _host_only(registry: str) -> str:
    return registry.split("/", 1)[0].lower()


def _normal(host: str) -> str:
    return DOCKER_HUB if host in HUB_ALIASES else host


def refused_registry(image: str, allowed: tuple[str, ...], registry: str | None) -> str | None:
    """Why a site with these settings may not pull ``image``, or None."""
    host = registry_host(image)
    if host is None:
        return None
    ok = {_normal(h.lower()) for h in allowed}
    if registry:
        ok.add(_host_only(registry))
    if _normal(host) in ok:
        return None
    shown = ", ".join(sorted(ok)) or "none"
    return (
        f"its registry {host} is not one the site pulls from (allowed: {shown}; "
        "an admin adds one to the site's options.allowed_registries)"
    )


def pull_reference(image: str, registry: str | None) -> str:
    """The name the site pulls and runs ``image`` under: from ``registry`` when it names
    no host of its own (a one-part name is Docker Hub's ``library/NAME``)."""
    if not registry or registry_host(image) is not None:
        return image
    path = image if "/" in image.split(":", 1)[0].split("@", 1)[0] else f"library/{image}"
    return f"{registry.rstrip('/')}/{path}"


def pull_settings(options: Mapping[str, Any] | None) -> tuple[str | None, tuple[str, ...]]:
    """A site's ``registry`` and ``allowed_registries`` options (defaults applied)."""
    options = options or {}
    registry = options.get("registry") or None
    allowed = options.get("allowed_registries")
    if allowed is None:
        allowed = DEFAULT_ALLOWED_REGISTRIES
    return (str(registry) if registry else None), tuple(str(h) for h in allowed)


def registry_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid ``registry`` option, or None."""
    # a host Docker reads as one: with a dot or a port, or localhost (else a Hub namespace)
    if not isinstance(value, str) or not REGISTRY.match(value) or not registry_host(f"{value}/x"):
        return (
            f"registry {value!r} must be HOST[:PORT][/PREFIX], e.g. registry.example.org "
            "or 127.0.0.1:5000/mirror (no scheme, lower-case path; a host with a dot or a "
            "port, or localhost)"
        )
    return None


def allowed_registries_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid ``allowed_registries`` option, or None."""
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        return "allowed_registries must be a list of registry hosts, e.g. [docker.io, quay.io]"
    bad = [h for h in value if not HOST.match(h)]
    if bad:
        shown = ", ".join(map(repr, bad))
        return f"allowed_registries: {shown} not HOST[:PORT] (no scheme, no path)"
    return None
