"""Object storage's pure parts (issue 17): bucket and user names derived from the node
instance, S3's rules for a given bucket name, the admin keys' reference forms, and the
site driver that adds buckets to any site kind's driver."""

from __future__ import annotations

import pytest

from cumulo.drivers.base import NodeRequest, SiteInfo
from cumulo.drivers.object_storage.names import (
    access_key,
    bucket_name,
    bucket_problem,
    user_id,
    user_prefix,
)
from cumulo.drivers.object_storage.service import admin_keys, s3_service
from cumulo.drivers.object_storage.site_driver import with_buckets
from cumulo.drivers.sim import SimDriver
from cumulo.errors import SiteError

BUCKET = ("tosca.nodes.indigo.S3Bucket", "tosca.nodes.Root")
DEP = "0b7c6d5e-1111-4222-8333-944455556666"


def request(node: str = "data_bucket", index: int = 0, dep: str = DEP, **props) -> NodeRequest:
    return NodeRequest(dep, node, index, BUCKET[0], BUCKET, props, {})


def test_a_derived_bucket_name_is_valid_stable_and_unique_per_instance() -> None:
    name = bucket_name(request())
    assert bucket_problem(name) is None
    assert name.startswith("data-bucket-0-")
    assert bucket_name(request()) == name  # a retry finds the same bucket
    others = {bucket_name(request(index=1)), bucket_name(request(node="backup")),
              bucket_name(request(dep=DEP.replace("1111", "2222")))}  # fmt: skip
    assert name not in others and len(others) == 3
    long = bucket_name(request(node="N" * 200 + "_ünïcode"))
    assert bucket_problem(long) is None and len(long) <= 63


def test_a_given_bucket_name_is_used_or_refused_saying_where() -> None:
    assert bucket_name(request(bucket_name="my-data.2026")) == "my-data.2026"
    for bad in ("UPPER", "ab", "a_b", "-start", "end-", "a..b", "192.168.1.2", "xn--abc"):
        assert bucket_problem(bad), bad
        with pytest.raises(SiteError, match=r"node data_bucket: properties\.bucket_name: bucket"):
            bucket_name(request(bucket_name=bad))


def test_user_ids_share_the_deployment_prefix_and_access_keys_look_like_s3_ones() -> None:
    uid = user_id(request())
    assert uid.startswith(user_prefix(DEP)) and uid != user_id(request(index=1))
    other = DEP.replace("1111", "2222")
    assert not user_id(request(dep=other)).startswith(user_prefix(DEP))
    key = access_key(uid)
    assert len(key) == 20 and key.isalnum() and key.isupper()
    assert key == access_key(uid) != access_key(user_id(request(index=1)))


def test_admin_keys_come_from_the_reference_forms(monkeypatch, tmp_path) -> None:
    assert admin_keys("s", "keys:AK:SK") == ("AK", "SK")
    monkeypatch.setenv("S3_ADMIN", "AK2:SK:with:colons")
    assert admin_keys("s", "env:S3_ADMIN") == ("AK2", "SK:with:colons")
    (tmp_path / "keys").write_text("keys:AK3:SK3\n")
    assert admin_keys("s", f"file:{tmp_path / 'keys'}") == ("AK3", "SK3")
    refused = (("env:NOT_SET_ANYWHERE", "not set"), ("keys:onlyaccess", "ACCESS_KEY"),
               ("token:abc", "unknown form"), (f"file:{tmp_path}/none", "file:"))  # fmt: skip
    for bad, why in refused:
        with pytest.raises(SiteError, match=why) as exc:
            admin_keys("s", bad)
        assert "site s: s3.credentials" in str(exc.value)


def test_a_service_without_endpoint_or_credentials_says_what_is_missing() -> None:
    with pytest.raises(SiteError, match="site s has no S3 service"):
        s3_service("s", {}, "keys:a:b")
    with pytest.raises(SiteError, match=r"s3\.credentials is not set"):
        s3_service("s", {"endpoint": "http://127.0.0.1:1"}, None)
    service = s3_service("s", {"endpoint": "http://127.0.0.1:1/"}, "keys:a:b")
    assert service.endpoint == "http://127.0.0.1:1" and "b" not in repr(service)


def test_the_site_driver_adds_buckets_and_keeps_the_inner_driver_for_the_rest() -> None:
    site = SiteInfo(name="sim-s3", endpoint="sim://",
                    s3={"endpoint": "http://127.0.0.1:9", "credentials": "keys:a:b"})  # fmt: skip
    inner = SimDriver(site)
    driver = with_buckets(inner, site)
    assert driver.kind == "sim"
    assert "tosca.nodes.indigo.S3Bucket" in driver.native_types
    assert inner.native_types <= driver.native_types
    assert driver.realizes(request())
    vm = NodeRequest(DEP, "vm", 0, "tosca.nodes.Compute", ("tosca.nodes.Compute",), {}, {})
    made = driver.create(vm)  # the inner driver's business
    assert driver.observe(made.physical_id) == inner.observe(made.physical_id)
    assert driver.start("s3user:cumulo-x") == {}  # nothing runs in a bucket
    assert hasattr(driver, "watch_nodes") == hasattr(inner, "watch_nodes")
    with pytest.raises(SiteError, match="unreachable"):  # nothing listens on port 9
        driver.create(request(aws_secret_key="secret-key-1"))
    with pytest.raises(SiteError, match="aws_secret_key must be 8-128"):
        driver.create(request(aws_secret_key="short"))
    inner.delete_deployment(DEP)
