"""Waiting holds no worker (issue 12): many slow nodes in flight, stuck ones beside a normal one.

1. slow: N deployments on sim sites whose nodes take S seconds to be ready
   (``ready_after_s``), 2 worker threads, SQLite, in-process: time until all
   are CREATE_COMPLETE. Beside it, in the same run, the same N with nodes
   ready at once (the engine's own cost) and what a worker held through each
   wait would take (N x S / 2). Target: all complete within S + 15 s.
2. stuck: on a real ``cumulo serve`` (2 workers) and the local Docker site,
   POST -> CREATE_COMPLETE of a Run docker deployment, alone and then with
   four stuck ones beside it (a published port that never answers, each
   waiting for --settle seconds already), in turn.
   Target: with the stuck ones, median within 20 % of alone.

Usage: .venv/bin/python bench/waiting.py [--only slow,stuck] [--deployments 1000]
       [--ready-after 60] [--runs 5] [--settle 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import Api, BenchError, cumulo_server, require_complete, require_docker, summary
from sqlalchemy import func, select

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.config import Settings
from cumulo.engine.jobs.worker import WorkerPool
from cumulo.engine.requests.deployments import NewDeployment, create_deployment
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef, SlaDef
from cumulo.engine.sites.drivers import register_driver_kind
from cumulo.engine.sites.registry import save_site, save_sla
from cumulo.store.models import Deployment

RUN_DOCKER = catalogue.find("run-docker").read_text()  # type: ignore[union-attr]
HTTPD = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}
STUCK = {**HTTPD, "docker_command": "sleep 3600"}  # its port never gets a listener
SIM_SITES = 10


def _all_complete(n: int, ready_after: float, data_dir: Path) -> float:
    """Seconds from the first request until ``n`` deployments are CREATE_COMPLETE."""
    settings = Settings(data_dir=data_dir, health_probe_seconds=0, job_poll_seconds=0.05)
    engine = Engine(settings)
    for i in range(SIM_SITES):
        save_site(engine, SiteDef(name=f"sim-{i}", kind="sim", images={"debian": {"12": "x"}},
                                  options={"ready_after_s": ready_after}))  # fmt: skip
        save_sla(engine.db, SlaDef(id=f"sla-{i}", group="physics", site=f"sim-{i}"))
    pool = WorkerPool(engine, 2)
    pool.start()
    try:
        start = time.perf_counter()
        for _ in range(n):
            new = NewDeployment(RUN_DOCKER, {"docker_image": "x"}, user_group="physics")
            create_deployment(engine, new, LOCAL_ADMIN)
        posted = time.perf_counter() - start
        while True:
            with engine.db.session() as s:
                rows = s.execute(
                    select(Deployment.status, func.count()).group_by(Deployment.status)
                ).all()
            counts = {status: count for status, count in rows}
            if counts.get("CREATE_FAILED"):
                raise BenchError(f"{counts['CREATE_FAILED']} deployment(s) failed")
            if counts.get("CREATE_COMPLETE", 0) >= n:
                break
            if time.perf_counter() - start > ready_after + 600:
                raise BenchError(f"not all complete after {ready_after + 600:.0f} s: {counts}")
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        print(f"  ({n} requests stored in {posted:.1f} s)")
        return elapsed
    finally:
        pool.stop()
        engine.close()


def bench_slow(n: int, ready_after: float) -> bool:
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    with tempfile.TemporaryDirectory(prefix="cumulo-waitbench-") as tmp:
        print(f"{n} deployments on {SIM_SITES} sim sites, 2 workers, SQLite")
        base = _all_complete(n, 0, Path(tmp) / "instant")
        slow = _all_complete(n, ready_after, Path(tmp) / "slow")
    target = ready_after + 15
    ok = slow <= target
    print(f"  nodes ready after {ready_after:.0f} s: all CREATE_COMPLETE in {slow:.1f} s")
    print(f"  baseline, nodes ready at once (engine cost): {base:.1f} s")
    print(f"  a worker held through each wait would take {n * ready_after / 2:.0f} s")
    print(f"  target <= {target:.0f} s: {'PASS' if ok else 'FAIL'}")
    return ok


def _normal(api: Api) -> float:
    started = time.perf_counter()
    require_complete(api.wait_final(api.create(RUN_DOCKER, HTTPD)))
    return time.perf_counter() - started


def _stuck_ones(api: Api, count: int, settle: float) -> list[str]:
    """``count`` stuck deployments, returned once each says what it waits for and has
    waited ``settle`` seconds (they stay stuck for up to 30 minutes in real life)."""
    uuids = [api.create(RUN_DOCKER, STUCK) for _ in range(count)]
    deadline = time.monotonic() + 60 + settle
    reasons: list[str] = []
    while time.monotonic() < deadline:
        reasons = [(api.get(u) or {}).get("statusReason") or "" for u in uuids]
        if all("waiting for port" in r for r in reasons):
            waited = min(float(r.rsplit(", ", 1)[1].removesuffix(" s")) for r in reasons)
            if waited >= settle:
                print(f"  stuck one says: {reasons[0]}")
                return uuids
        time.sleep(0.2)
    raise BenchError(f"the stuck deployments did not say what they wait for: {reasons}")


def bench_stuck(runs: int, settle: float) -> bool:
    require_docker(["cumulo/httpd:1"])
    with cumulo_server(workers=2) as url:
        alone_api, stuck_api = Api(url), Api(url)
        alone, beside = [], []
        try:
            _normal(alone_api)  # warm-up
            for _ in range(runs):
                alone.append(_normal(alone_api))
                alone_api.delete_all()
                _stuck_ones(stuck_api, 4, settle)
                beside.append(_normal(alone_api))
                alone_api.delete_all()
                if stuck_api.delete_all():
                    raise BenchError("stuck deployments were not deleted in time")
        finally:
            alone_api.delete_all()
            stuck_api.delete_all()
    ratio = statistics.median(beside) / statistics.median(alone)
    ok = ratio <= 1.2
    print("Run docker POST -> CREATE_COMPLETE, 2 workers, local Docker site")
    print(f"  with 4 stuck deployments  {summary(beside)}")
    print(f"  alone (baseline)          {summary(alone)}")
    print(f"  ratio {ratio:.2f}; target <= 1.20: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="slow,stuck")
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--ready-after", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=10.0, help="s the stuck ones waited")
    args = parser.parse_args()
    only = set(args.only.split(","))
    try:
        results = []
        if "slow" in only:
            results.append(bench_slow(args.deployments, args.ready_after))
        if "stuck" in only:
            results.append(bench_stuck(args.runs, args.settle))
    except BenchError as exc:
        print(f"benchmark error: {exc}")
        return 2
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
