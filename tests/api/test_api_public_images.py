"""POST of a template of public images on a federation whose only site (the machine's
Docker engine) pulls none: 400 naming the image and the site, nothing stored (issue 17)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.catalogue.public_image_entries import PUBLIC_IMAGE_ENTRIES, with_local_site

from cumulo import catalogue
from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment

ENTRIES = PUBLIC_IMAGE_ENTRIES


@pytest.fixture
def local(engine: Engine) -> Engine:
    return with_local_site(engine)


def _template(name: str) -> str:
    return catalogue.find(name).read_text()  # type: ignore[union-attr]


def _count(engine: Engine) -> int:
    with engine.db.session() as s:
        return s.scalar(select(func.count()).select_from(Deployment)) or 0


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_a_public_image_the_local_site_lacks_is_400_and_nothing_stored(
    client: TestClient, local: Engine, name: str
) -> None:
    params, image = ENTRIES[name]
    r = client.post("/deployments", json={"template": _template(name), "parameters": params})
    assert r.status_code == 400, r.text
    assert r.json()["message"].startswith(f"image {image} is not available on site local")
    assert _count(local) == 0


def test_the_local_site_s_own_images_still_place(client: TestClient, local: Engine) -> None:
    params = {"docker_image": "cumulo/httpd", "docker_tag": "1"}
    body = {"template": _template("run-docker"), "parameters": params}
    r = client.post("/deployments", json=body)
    assert r.status_code == 201, r.text
    dry = client.post("/scheduling", json=body)
    assert dry.status_code == 200, dry.text
    assert dry.json()["ranked"] == ["local"]
