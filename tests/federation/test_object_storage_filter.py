"""Object storage in the scheduler (issue 17): a bucket goes only to a site that declares
an S3 service; a site without one is left out, and refused at once when no site has one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cumulo.federation import Federation, Needs, Placement, SiteView, never_fits, schedule
from cumulo.federation.object_storage import bucket_nodes, no_s3_service

TODAY = date(2026, 6, 1)
PLAIN = SiteView("local", public=True)
WITH_S3 = SiteView("store", public=True, s3=True)
BUCKETS = Needs(buckets=("data_bucket", "backup_bucket"))


@dataclass
class Inst:  # the fields of a plan's NodeInstance the filter reads
    node: str
    types: tuple[str, ...]


def test_bucket_nodes_are_the_s3_buckets_each_once_in_plan_order() -> None:
    bucket = ("tosca.nodes.indigo.S3Bucket", "tosca.nodes.Root")
    instances = [Inst("data", bucket), Inst("app", ("tosca.nodes.indigo.dockerRun",)),
                 Inst("backup", bucket), Inst("data", bucket)]  # fmt: skip
    assert bucket_nodes(instances) == ("data", "backup")
    assert bucket_nodes([Inst("app", ("tosca.nodes.Root",))]) == ()


def test_a_site_without_s3_is_left_out_with_the_reason_and_one_with_it_taken() -> None:
    assert no_s3_service(WITH_S3, BUCKETS) is None
    assert no_s3_service(PLAIN, Needs()) is None  # nothing asked: any site
    decision = schedule(Federation(sites=(PLAIN, WITH_S3)), BUCKETS, None, TODAY)
    assert decision.ranked == ["store"]
    verdict = decision.verdict("local")
    assert verdict is not None and not verdict.usable
    assert verdict.reason == "site local has no S3 service (node data_bucket is an S3 bucket)"


def test_buckets_with_no_s3_service_anywhere_never_fit() -> None:
    fed = Federation(sites=(PLAIN,))
    why = never_fits(fed, BUCKETS, None, TODAY, Placement())
    assert why == "site local has no S3 service (node data_bucket is an S3 bucket)"
    assert never_fits(Federation(sites=(PLAIN, WITH_S3)), BUCKETS, None, TODAY, Placement()) is None
