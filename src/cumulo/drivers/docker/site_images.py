"""Which image a container of the site runs: its own, or one it pulls first.

An image the engine holds (built on the site, say ``cumulo/vm-debian:12``) is run
as it is. A missing one is refused on a site that does not pull
(``capabilities.public_images``), as always. A site that pulls gets it from
where its options say (``cumulo.federation.registries``): a Docker Hub name from
the site's ``registry`` when it has one, run under that registry's name
(``REGISTRY/cumulo/vm-jupyter:12``: a pulled image is never tagged with the bare
name, so it never shadows an image the site built); a name with a registry host
only from an allowed host. The pull runs in the background (``image_pulls``):
meanwhile the answer is a ``Waiting`` saying how far it got. The same holds for a
compose file's services on a site whose compose policy does not require local
images (``require_local_images: false``; else they are refused before this).
"""

from __future__ import annotations

from typing import Any

import docker.errors

from cumulo.drivers.base import SiteInfo, Waiting
from cumulo.drivers.docker.engine_calls import EngineConnection
from cumulo.drivers.docker.image_pulls import PULLS, Pull
from cumulo.drivers.docker_images import build_hint
from cumulo.errors import ImageNotFound
from cumulo.federation.images import image_name
from cumulo.federation.registries import (
    DOCKER_HUB,
    pull_reference,
    pull_settings,
    refused_registry,
    registry_host,
)

# When to look again at a pull under way (seconds).
PULL_LOOK = 2.0


class SiteImages:
    """The images of one Docker site: present, or pulled where the site pulls."""

    def __init__(self, engine: EngineConnection, site: SiteInfo) -> None:
        self.engine, self.site = engine, site
        self.registry, self.allowed = pull_settings(site.options)

    def has(self, image: str) -> bool:
        try:
            self.engine.client.images.get(image)
        except docker.errors.ImageNotFound:
            return False
        return True

    def ready(self, node: str, image: str) -> str | Waiting:
        """The name to run ``image`` under once the engine has it, or what is awaited;
        ``ImageNotFound`` when the site cannot have it (naming it, and why)."""
        if self.has(image):
            return image
        where = f"node {node}: image {image}"
        if not self.site.public_images:
            raise ImageNotFound(f"{where} not found on site {self.site.name}{build_hint(image)}")
        why = refused_registry(image, self.allowed, self.registry)
        if why:
            raise ImageNotFound(f"{where} cannot be pulled on site {self.site.name}: {why}")
        reference = pull_reference(image, self.registry)
        if reference != image and self.has(reference):
            return reference
        pull = PULLS.look(self.engine.endpoint, reference, lambda: self.has(reference))
        if pull is None:
            return reference
        source = self.source(reference)
        if pull.error is not None:
            raise ImageNotFound(
                f"{where}: the site {self.site.name} could not pull {reference} from "
                f"{source}: {pull.error}"
            )
        return _pulling(image, source, pull)

    def for_services(self, node: str, services: dict[str, Any]) -> dict[str, Any] | Waiting:
        """A compose file's services with each image as the engine runs it (pulled first
        where missing), or what the first one missing still waits for."""
        found = {}
        for name, service in services.items():
            image = self.ready(f"{node} (service {name})", image_name(service["image"]) or "")
            if isinstance(image, Waiting):
                return image
            found[name] = {**service, "image": image}
        return found

    def source(self, reference: str) -> str:
        """The registry a reference is pulled from, as an admin would name it."""
        return registry_host(reference) or DOCKER_HUB


def _pulling(image: str, source: str, pull: Pull) -> Waiting:
    what = f"image {image} to be pulled from {source} ({pull.progress()})"
    return Waiting(what, f"{what}: not pulled yet", PULL_LOOK)
