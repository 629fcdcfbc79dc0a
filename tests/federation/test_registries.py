"""Where a site that pulls may pull from (issue 16, item 5): Docker Hub names from the
site's registry, names carrying a host only from an allowed host; the image filter
leaves out a site that may not pull an image, saying which and why; the site's
options are checked where the admin writes them."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from cumulo.engine.sites.definitions import SiteDef
from cumulo.federation import Federation, ImageNeed, Needs, Placement, SiteView, never_fits
from cumulo.federation.registries import (
    pull_reference,
    pull_settings,
    refused_registry,
    registry_host,
)

TODAY = date(2026, 6, 1)
DEFAULTS = ("docker.io", "quay.io", "ghcr.io")


def test_a_registry_host_is_the_first_part_with_a_dot_a_port_or_localhost() -> None:
    assert registry_host("cumulo/vm-jupyter:12") is None
    assert registry_host("debian:12") is None
    assert registry_host("quay.io/org/app:1") == "quay.io"
    assert registry_host("127.0.0.1:5000/x/y:1") == "127.0.0.1:5000"
    assert registry_host("localhost/x:1") == "localhost"
    assert registry_host("169.254.169.254/latest:1") == "169.254.169.254"


def test_docker_hub_names_are_pulled_from_the_sites_registry_under_its_name() -> None:
    assert pull_reference("cumulo/vm-jupyter:12", "127.0.0.1:5000") == (
        "127.0.0.1:5000/cumulo/vm-jupyter:12"
    )
    assert pull_reference("cumulo/httpd:1", "reg.example.org/mirror") == (
        "reg.example.org/mirror/cumulo/httpd:1"
    )
    assert pull_reference("debian:12", "127.0.0.1:5000") == "127.0.0.1:5000/library/debian:12"
    assert pull_reference("quay.io/org/app:1", "127.0.0.1:5000") == "quay.io/org/app:1"
    assert pull_reference("cumulo/httpd:1", None) == "cumulo/httpd:1"


def test_a_host_is_allowed_only_when_listed_or_the_sites_own_registry() -> None:
    assert refused_registry("cumulo/httpd:1", (), None) is None  # Docker Hub's: no host
    assert refused_registry("quay.io/org/app:1", DEFAULTS, None) is None
    assert refused_registry("index.docker.io/library/debian:12", DEFAULTS, None) is None
    assert refused_registry("127.0.0.1:5000/x:1", (), "127.0.0.1:5000/prefix") is None
    for image in ("169.254.169.254/latest:1", "127.0.0.1:2375/x:1", "evil.example/x:1"):
        why = refused_registry(image, DEFAULTS, "127.0.0.1:5000")
        assert why is not None and registry_host(image) in why, why
        assert "allowed: 127.0.0.1:5000, docker.io, ghcr.io, quay.io" in why
    assert refused_registry("quay.io/org/app:1", (), None) is not None  # an empty list


def test_the_sites_options_give_the_settings_with_defaults() -> None:
    assert pull_settings({}) == (None, DEFAULTS)
    assert pull_settings({"registry": "127.0.0.1:5000", "allowed_registries": []}) == (
        "127.0.0.1:5000",
        (),
    )


PULLING = SiteView("pulling", public=True, public_images=True, registry="127.0.0.1:5000")


@pytest.mark.parametrize("image", ["169.254.169.254/latest:1", "127.0.0.1:2375/x:1"])
def test_an_image_at_a_host_not_allowed_leaves_the_site_out_at_request(image: str) -> None:
    needs = Needs(images=(ImageNeed("app", image),))
    problem = never_fits(Federation((PULLING,)), needs, None, TODAY, Placement())
    assert problem is not None
    assert problem.startswith(f"image {image} cannot be pulled on site pulling (node app)")


def test_docker_hub_names_and_allowed_hosts_are_taken_by_a_pulling_site() -> None:
    for image in ("rocker/rstudio:4.4", "ghcr.io/org/app:1", "127.0.0.1:5000/x:1"):
        needs = Needs(images=(ImageNeed("app", image),))
        assert never_fits(Federation((PULLING,)), needs, None, TODAY, Placement()) is None


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"registry": "http://127.0.0.1:5000"}, "options.registry 'http://127.0.0.1:5000' must be"),
        ({"registry": "reg.example.org/UPPER"}, "HOST[:PORT][/PREFIX]"),
        ({"registry": 5000}, "options.registry 5000 must be"),
        ({"registry": "myregistry/prefix"}, "a host with a dot or a port, or localhost"),
        ({"allowed_registries": "quay.io"}, "must be a list of registry hosts"),
        ({"allowed_registries": ["quay.io/org"]}, "'quay.io/org' not HOST[:PORT]"),
    ],
)
def test_bad_registry_options_are_refused_saying_why(options: dict, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        SiteDef(name="s", options=options, capabilities={"public_images": True})
    assert words in str(err.value)


def test_good_registry_options_are_kept() -> None:
    options = {"registry": "127.0.0.1:5000/cumulo-mirror", "allowed_registries": ["quay.io"]}
    assert SiteDef(name="s", options=options).options == options
