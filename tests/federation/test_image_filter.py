"""The image filter (issue 17): a site that does not pull public images takes only the
container images it holds or maps; the others are left out with the reason."""

from __future__ import annotations

from datetime import date

from cumulo.federation import (
    Federation,
    ImageNeed,
    Needs,
    Placement,
    SiteView,
    container_image,
    image_name,
    never_fits,
    schedule,
)

TODAY = date(2026, 6, 1)
LOCAL = SiteView("local", public=True, images={"debian": {"12": "cumulo/vm-debian:12"}})
CLOUD = SiteView("cloud", public=True, public_images=True)
RSTUDIO = Needs(images=(ImageNeed("rstudio", "rocker/rstudio:4.4"),))


def fed(*sites: SiteView, present: dict[str, frozenset[str]] | None = None) -> Federation:
    return Federation(sites, present_images=present or {})


def test_a_site_that_cannot_pull_is_left_out_with_the_image_and_the_site() -> None:
    decision = schedule(fed(LOCAL, CLOUD, present={"local": frozenset()}), RSTUDIO, None, TODAY)
    assert decision.ranked == ["cloud"]
    reason = decision.verdict("local").reason  # type: ignore[union-attr]
    assert reason.startswith("image rocker/rstudio:4.4 is not available on site local")
    assert "(node rstudio)" in reason


def test_an_image_the_engine_holds_or_the_site_maps_is_available() -> None:
    held = fed(LOCAL, present={"local": frozenset({"rocker/rstudio:4.4"})})
    assert schedule(held, RSTUDIO, None, TODAY).ranked == ["local"]
    mapped = Needs(images=(ImageNeed("vm", "cumulo/vm-debian:12"),))
    assert schedule(fed(LOCAL, present={"local": frozenset()}), mapped, None, TODAY).ranked == [
        "local"
    ]


def test_a_site_whose_images_are_unknown_is_not_judged_on_them() -> None:
    # No list (a kind that cannot list its images): the attempt says what is missing.
    assert schedule(fed(LOCAL), RSTUDIO, None, TODAY).ranked == ["local"]


def test_no_site_able_to_have_the_image_is_known_at_request_time() -> None:
    only_local = fed(LOCAL, present={"local": frozenset({"cumulo/httpd:1"})})
    problem = never_fits(only_local, RSTUDIO, None, TODAY, Placement())
    assert problem is not None
    assert problem.startswith("image rocker/rstudio:4.4 is not available on site local")
    both = fed(LOCAL, CLOUD, present={"local": frozenset()})
    assert never_fits(both, RSTUDIO, None, TODAY, Placement()) is None
    assert never_fits(only_local, Needs(), None, TODAY, Placement()) is None


def test_a_manual_choice_of_a_site_without_the_image_is_refused_with_the_reason() -> None:
    decision = schedule(
        fed(LOCAL, CLOUD, present={"local": frozenset()}), RSTUDIO, None, TODAY,
        Placement(site="local"),
    )  # fmt: skip
    assert decision.problem is not None
    assert "cannot take this deployment: image rocker/rstudio:4.4 is not available" in (
        decision.problem
    )


def test_image_names_are_the_engine_s() -> None:
    assert image_name("rocker/rstudio", "4.4") == "rocker/rstudio:4.4"
    assert image_name("docker://htcondor/cm") == "htcondor/cm:latest"
    assert image_name("reg:5000/a/b", "2") == "reg:5000/a/b:2"
    assert image_name("a/b@sha256:00") == "a/b@sha256:00"
    assert image_name("") is None and image_name(3) is None
    artifact = {"image": {"type": "tosca.artifacts.Deployment.Image.Container.Docker",
                          "file": "kibana:7.17.21"}}  # fmt: skip
    assert container_image({}, artifact) == "kibana:7.17.21"
    assert container_image({"docker_image": "x", "docker_tag": "1"}, artifact) == "x:1"
    assert container_image({}, {}) is None
