"""Object storage end to end: the catalogue's ``s3-bucket`` through a real ``cumulo serve``
on a local Docker site whose admin declared a real S3 service (Ceph's radosgw, in one
container). The outputs' credentials (with the secret the owner set) put, get and list in
the bucket, and are refused on another deployment's bucket; delete removes bucket and user;
a bucket asked to be kept outlives its deployment. The machine's plain ``local`` site, with
no S3 service, is left out with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import yaml
from botocore.exceptions import ClientError
from e2e_helpers import (
    auth,
    catalogue_template,
    create_deployment,
    cumulo_env,
    delete_and_wait_gone,
    serving,
    wait_final,
)
from radosgw import Radosgw, running_radosgw

from cumulo.drivers.docker_images import DEFAULT_IMAGES

pytestmark = [pytest.mark.e2e, pytest.mark.service]

SITE = "local-s3"
ADMIN_KEYS = "CUMULO_TEST_S3_ADMIN"  # the variable the site's credentials reference names


@pytest.fixture(scope="module")
def radosgw() -> Iterator[Radosgw]:
    with running_radosgw() as server:
        yield server


@pytest.fixture(scope="module")
def server(
    radosgw: Radosgw, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-s3")
    sites = {"sites": [{
        "name": SITE, "kind": "docker", "public": True,
        "images": {d: dict(v) for d, v in DEFAULT_IMAGES.items()},
        "s3": {"endpoint": radosgw.endpoint, "credentials": f"env:{ADMIN_KEYS}"},
    }]}  # fmt: skip
    (data / "sites.yaml").write_text(yaml.safe_dump(sites))
    env = cumulo_env(module_database_url)
    env[ADMIN_KEYS] = f"{radosgw.access_key}:{radosgw.secret_key}"
    with serving(data, "--sites-file", str(data / "sites.yaml"), env=env) as url:
        yield url


def deploy_bucket(url: str, secret: str, **params: object) -> dict:
    dep_id = create_deployment(url, "s3-bucket", {"aws_secret_key": secret, **params})
    dep = wait_final(url, dep_id, timeout=60)
    assert dep["status"] == "CREATE_COMPLETE", dep
    assert dep["cloudProviderName"] == SITE
    assert secret not in json.dumps(dep)  # the secret is the owner's: no answer carries it
    return dep


def test_the_site_s3_hides_its_keys_and_a_site_without_s3_is_left_out(
    server: str, radosgw: Radosgw
) -> None:
    shown = httpx.get(f"{server}/sites/{SITE}", headers=auth(server), timeout=10).json()
    assert shown["options"]["s3"] == {"endpoint": radosgw.endpoint, "credentials": "set"}
    body = {"template": catalogue_template("s3-bucket"), "parameters": {"aws_secret_key": "x" * 9}}
    dry = httpx.post(f"{server}/scheduling", headers=auth(server), json=body, timeout=30).json()
    assert dry["ranked"] == [SITE]
    reasons = {c["site"]: c["reason"] for c in dry["candidates"]}
    assert reasons["local"] == "site local has no S3 service (node bucket is an S3 bucket)"


def test_bucket_credentials_work_on_their_bucket_only_and_delete_removes_it(
    server: str, radosgw: Radosgw
) -> None:
    mine = deploy_bucket(server, "first-secret-1")
    other = deploy_bucket(server, "other-secret-2")
    out = mine["outputs"]
    assert out["s3_url"] == radosgw.endpoint
    bucket, theirs = out["bucket_name"], other["outputs"]["bucket_name"]
    s3 = radosgw.client(out["aws_access_key"], "first-secret-1")
    s3.put_object(Bucket=bucket, Key="notes/a.txt", Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key="notes/a.txt")["Body"].read() == b"hello"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["notes/a.txt"]
    # Scoped: the same keys are refused on the other deployment's bucket, and make no other.
    for refused in (
        lambda: s3.list_objects_v2(Bucket=theirs),
        lambda: s3.put_object(Bucket=theirs, Key="x", Body=b"x"),
        lambda: s3.create_bucket(Bucket=f"{bucket}-more"),
    ):
        with pytest.raises(ClientError) as exc:
            refused()
        assert exc.value.response["Error"]["Code"] in ("AccessDenied", "TooManyBuckets")
    delete_and_wait_gone(server, mine["uuid"])
    assert not radosgw.bucket_exists(bucket)  # with its object
    with pytest.raises(ClientError) as gone:
        s3.list_buckets()
    assert gone.value.response["Error"]["Code"] == "InvalidAccessKeyId"  # the user is gone
    assert radosgw.bucket_exists(theirs)  # another deployment's bucket is untouched
    delete_and_wait_gone(server, other["uuid"])
    assert not radosgw.bucket_exists(theirs)


def test_a_kept_bucket_outlives_its_deployment_and_keeps_its_name(
    server: str, radosgw: Radosgw
) -> None:
    dep = deploy_bucket(server, "kept-secret-3", bucket_name="kept-data-1",
                        delete_on_termination=False)  # fmt: skip
    out = dep["outputs"]
    assert out["bucket_name"] == "kept-data-1"
    s3 = radosgw.client(out["aws_access_key"], "kept-secret-3")
    s3.put_object(Bucket="kept-data-1", Key="k", Body=b"kept")
    delete_and_wait_gone(server, dep["uuid"])
    assert s3.get_object(Bucket="kept-data-1", Key="k")["Body"].read() == b"kept"
    # The name stays taken: another deployment asking for it fails, saying so.
    params = {"aws_secret_key": "taken-secret-4", "bucket_name": "kept-data-1"}
    taken = wait_final(server, create_deployment(server, "s3-bucket", params), timeout=60)
    assert taken["status"] == "CREATE_FAILED", taken
    assert "bucket name kept-data-1 is taken" in taken["statusReason"]
    delete_and_wait_gone(server, taken["uuid"])
