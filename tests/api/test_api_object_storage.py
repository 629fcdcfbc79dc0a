"""Object storage through the API, without an S3 server: what is refused before any work
(issue 17). A site without an S3 service is left out with the reason; a bucket name or a
secret key that S3 would refuse is a 400 naming the input."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.catalogue.public_image_entries import with_local_site

from cumulo import catalogue
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.drivers import make_driver
from cumulo.store.models import Deployment, Site

SECRET = "bucket-secret-1"
S3_BUCKET = "tosca.nodes.indigo.S3Bucket"


@pytest.fixture
def local(engine: Engine) -> Engine:
    return with_local_site(engine)


def _post(client: TestClient, name: str, params: dict) -> dict:
    body = {"template": catalogue.find(name).read_text(), "parameters": params}  # type: ignore[union-attr]
    r = client.post("/deployments", json=body)
    assert r.status_code == 400, r.text
    return r.json()


def _count(engine: Engine) -> int:
    with engine.db.session() as s:
        return s.scalar(select(func.count()).select_from(Deployment)) or 0


def test_a_bucket_on_a_federation_without_s3_is_400_naming_the_site(
    client: TestClient, local: Engine
) -> None:
    body = _post(client, "s3-bucket", {"aws_secret_key": SECRET})
    assert "site local has no S3 service (node bucket is an S3 bucket)" in body["message"]
    assert _count(local) == 0


def test_sync_and_share_on_the_local_site_names_its_public_image(
    client: TestClient, local: Engine
) -> None:
    params = {"admin_passw": "admin-password-1", "s3_secret_key": SECRET}
    body = _post(client, "sync-and-share", params)
    assert body["message"].startswith("image nextcloud:29-apache is not available on site local")
    assert _count(local) == 0


@pytest.mark.parametrize("name", ["Upper-Case", "ab", "bad_underscore", "-dash-first"])
def test_an_invalid_bucket_name_is_400_naming_the_input(
    client: TestClient, local: Engine, name: str
) -> None:
    body = _post(client, "s3-bucket", {"aws_secret_key": SECRET, "bucket_name": name})
    assert "bucket_name" in body["message"], body
    assert _count(local) == 0


def test_a_short_secret_key_is_400_naming_the_input(client: TestClient, local: Engine) -> None:
    body = _post(client, "s3-bucket", {"aws_secret_key": "short"})
    assert "aws_secret_key" in body["message"], body


S3 = {"endpoint": "http://127.0.0.1:7480", "credentials": "keys:ADMINKEY:admin-secret-key"}


def test_a_site_s_s3_keys_are_sealed_never_shown_and_reach_its_driver(
    client: TestClient, engine: Engine
) -> None:
    r = client.put("/sites/store", json={"kind": "docker", "public": True, "s3": S3})
    assert r.status_code == 200, r.text
    shown = client.get("/sites/store").json()
    assert shown["options"]["s3"] == {"endpoint": S3["endpoint"], "credentials": "set"}
    assert "admin-secret-key" not in json.dumps(shown)
    with engine.db.session() as s:
        site = s.get(Site, "store")
        assert site is not None
        s.expunge(site)
    assert "admin-secret-key" not in json.dumps(site.options)  # sealed in the store
    driver = engine.driver(site)
    assert driver.kind == "docker" and S3_BUCKET in driver.native_types
    service = driver.buckets.service  # type: ignore[attr-defined]
    assert (service.access_key, service.secret_key) == ("ADMINKEY", "admin-secret-key")
    # A probe (no secret box) gets the kind's own driver: it pings the site, not S3.
    assert not hasattr(make_driver(site), "buckets")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"options": {"s3": S3}}, "s3 is not a driver option"),
        ({"s3": {**S3, "endpoint": "ftp://x"}}, "s3.endpoint"),
        ({"s3": {"endpoint": S3["endpoint"]}}, "s3.credentials"),
    ],
)
def test_a_bad_s3_definition_is_400_saying_where(
    client: TestClient, body: dict, where: str
) -> None:
    r = client.put("/sites/store", json={"kind": "docker", **body})
    assert r.status_code == 400, r.text
    assert where in r.json()["message"], r.json()
