"""Container images a deployment names, and whether a site can have them.

A site either pulls public images (``capabilities.public_images``) or has only
what is on it: the images of its ``images:`` map and, for a Docker site, the
images its engine holds. A node naming an image the site can have neither way
leaves the site out before anything is tried; so does, on a site that pulls, an
image at a registry the site does not pull from (``registries.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.federation.model import ImageNeed, Needs, SiteView
from cumulo.federation.registries import refused_registry


def image_name(image: Any, tag: Any = None) -> str | None:
    """``image`` as the engine names it (``docker://`` dropped, ``:latest`` when untagged)."""
    if not image or not isinstance(image, str):
        return None
    image = image.strip().removeprefix("docker://")
    last = image.rsplit("/", 1)[-1]
    if ":" in last or "@" in last:
        return image  # already tagged or pinned by digest
    return f"{image}:{str(tag).strip() if tag else 'latest'}"


def container_image(properties: Mapping[str, Any], artifacts: Mapping[str, Any]) -> str | None:
    """The image of a Docker container node: ``docker_image`` (or ``image``) and its tag,
    else the file of an image artifact; None when it names none."""
    image = properties.get("docker_image") or properties.get("image")
    tag = properties.get("docker_tag") or properties.get("tag")
    if not image:
        for artifact in artifacts.values():
            if isinstance(artifact, dict) and "Image" in str(artifact.get("type", "")):
                image = artifact.get("file")
                if image:
                    break
    return image_name(image, tag)


def missing_image(site: SiteView, needs: Needs, present: frozenset[str] | None) -> str | None:
    """Why ``site`` cannot have one of the images ``needs`` names, or None.

    ``present`` is what the site's engine holds; None when unknown (a site kind that
    cannot list its images), and then only the site's own declaration counts.
    """
    if not needs.images:
        return None
    if site.public_images:
        return _not_pullable(site, needs)
    if present is None:
        return None
    mapped = {i for versions in site.images.values() for i in versions.values()}
    for need in needs.images:
        if need.image not in present and need.image not in mapped:
            return unavailable(need, site.name)
    return None


def _not_pullable(site: SiteView, needs: Needs) -> str | None:
    for need in needs.images:
        why = refused_registry(need.image, site.allowed_registries, site.registry)
        if why:
            return (
                f"image {need.image} cannot be pulled on site {site.name} (node {need.node}): "
                + why
            )
    return None


def unavailable(need: ImageNeed, site: str) -> str:
    return (
        f"image {need.image} is not available on site {site} (node {need.node}): the site "
        "does not pull public images and does not have it"
    )
