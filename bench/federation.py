"""The federation's benchmarks: ranking 1,000 sites, and engine throughput on simulated sites.

1. Ranking: ``cumulo.federation.schedule`` for one deployment over 1,000 sites
   (flavors, images, quotas, SLAs with limits and priorities, usage, health,
   statistics; some in maintenance or down). Target: median under 5 ms.
   Floor in the same run: sorting the same 1,000 sites by a precomputed key,
   the least any ranking pays. Also the same ranking with the usage-free
   screening kept (``screened=``: what the engine runs per decision, see
   ``federation.screening``), and ``engine.scheduling.decide`` as the engine
   calls it (registry and screening cached, usage read from SQLite).
2. Throughput: deployments created end to end (``create_deployment`` to
   CREATE_COMPLETE, 2 worker threads, SQLite) on 1,000 ``sim`` sites (the
   simulation test double, no latency; quotas and SLA limits set, so usage is
   summed for every decision), against the same run on 1 sim site.
   Aim: 200 deployments per second.
3. Workers alone: the same deployments created first, then the 2 workers started
   (the requests no longer share the process's interpreter with the workers),
   on 1,000 sim sites and on 1; also the CPU seconds the process spent per
   deployment while they ran.
4. PostgreSQL: the same deployments queued on 1 sim site, then taken by 1 worker
   process (one worker thread), against 3 such processes in the same run (a
   throwaway PostgreSQL server, as the tests start it). Aim: 3 processes >= 1.8x one.

Usage: .venv/bin/python bench/federation.py [--sites 1000] [--deployments 2000]
       [--only rank,engine,workers,postgresql]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

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
from cumulo.engine.sites.scheduling import decide
from cumulo.federation import (
    ComputeNeed,
    Federation,
    Flavor,
    Health,
    Limits,
    Needs,
    Placement,
    SiteStats,
    SiteView,
    Sla,
    Usage,
    schedule,
)
from cumulo.federation.screening import screen
from cumulo.store.models import Deployment
from cumulo.store.pg_cluster import PgCluster, unavailable

TARGET_RANK_MS = 5.0
TARGET_RATE = 200.0
TARGET_PG_RATIO = 1.8
RUN_DOCKER = catalogue.find("run-docker").read_text()  # type: ignore[union-attr]
VM = Needs(
    (ComputeNeed("vm", 2, 2, 4000, 20, needs_image=True, distribution="debian", version="12"),)
)


def federation(n: int) -> Federation:
    rnd = random.Random(7)
    flavors = (Flavor("s", 1, 2000, 10), Flavor("m", 2, 4000, 20), Flavor("l", 4, 8000, 40),
               Flavor("xl", 8, 16000, 80))  # fmt: skip
    sites, slas, usage, site_usage, health, stats = [], [], {}, {}, {}, {}
    for i in range(n):
        name = f"site-{i:04d}"
        status = "maintenance" if i % 10 == 0 else "limited" if i % 17 == 0 else "active"
        images = {"debian": {"12": "d12", "11": "d11"}, "ubuntu": {"22.04": "u22"}}
        sites.append(SiteView(name, status=status, flavors=flavors[: 1 + i % 4], images=images,
                              quotas=Limits(instances=200, cores=400, ram_mb=800_000)))  # fmt: skip
        slas.append(Sla(f"sla-{i}", "physics", name, priority=i % 5, limits=Limits(instances=20)))
        usage[("physics", name)] = Usage(rnd.randint(0, 20), rnd.randint(0, 40), 0)
        site_usage[name] = Usage(rnd.randint(0, 200), rnd.randint(0, 400), 0)
        if i % 20 == 0:
            health[name] = Health(False, "connection refused", 2)
        stats[name] = SiteStats(rnd.randint(0, 50), rnd.randint(0, 5), rnd.uniform(5, 300))
    return Federation(tuple(sites), tuple(slas), usage, site_usage, health, stats)


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times


def bench_rank(n: int, runs: int = 300) -> None:
    fed = federation(n)
    today = date(2026, 6, 1)
    decision = schedule(fed, VM, "physics", today)
    keys = [(-(i % 5), i % 17 == 0, random.random(), f"site-{i:04d}") for i in range(n)]
    rank = timed(lambda: schedule(fed, VM, "physics", today), runs)
    floor = timed(lambda: sorted(keys), runs)
    med, floor_med = statistics.median(rank), statistics.median(floor)
    p99 = rank[int(len(rank) * 0.99) - 1]
    print(f"ranking {n} sites ({len(decision.ranked)} usable): median {med:.2f} ms, "
          f"p99 {p99:.2f} ms (target < {TARGET_RANK_MS} ms: "
          f"{'met' if med < TARGET_RANK_MS else 'MISSED'})")  # fmt: skip
    print(f"  floor (sorting {n} precomputed keys): median {floor_med:.3f} ms; "
          f"ratio {med / floor_med:.1f}x")  # fmt: skip
    # What the engine runs per decision: the usage-free screening is kept per registry
    # snapshot and request shape (engine.sites.scheduling), only usage is judged.
    screened = screen(fed, VM, "physics", today, Placement())
    kept = statistics.median(
        timed(lambda: schedule(fed, VM, "physics", today, Placement(), screened), runs)
    )
    print(f"  with the screening kept: median {kept:.2f} ms (ratio {med / kept:.1f}x faster)")


def _settings(data_dir: Path, database_url: str = "") -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, health_probe_seconds=0,
                    job_poll_seconds=0.02)  # fmt: skip


def engine_with_sites(n: int, data_dir: Path, database_url: str = "") -> Engine:
    engine = Engine(_settings(data_dir, database_url))
    # Quotas and SLA limits loose enough never to reject, but summed for every decision.
    for i in range(n):
        save_site(engine, SiteDef(name=f"sim-{i:04d}", kind="sim", images={"debian": {"12": "x"}},
                                  flavors=[{"name": "m", "vcpus": 4, "ram": "8 GB"}],
                                  quotas={"instances": 100_000, "cores": 100_000}))  # fmt: skip
        save_sla(engine.db, SlaDef(id=f"sla-{i}", group="physics", site=f"sim-{i:04d}",
                                   priority=i % 3, limits={"instances": 50_000}))  # fmt: skip
    return engine


def bench_decide(n: int, data_dir: Path, runs: int = 50) -> None:
    engine = engine_with_sites(n, data_dir)
    plan = engine.plan(RUN_DOCKER, {"docker_image": "x"})
    decide(engine, plan, "physics", None)  # warm the registry cache
    times = timed(lambda: decide(engine, plan, "physics", None), runs)
    print(f"engine decide() over {n} sites from SQLite (registry cached): "
          f"median {statistics.median(times):.2f} ms")  # fmt: skip
    engine.close()


def _created(engine: Engine) -> int:
    with engine.db.session() as s:
        done = s.scalar(select(func.count()).where(Deployment.status == "CREATE_COMPLETE"))
        failed = s.scalar(select(func.count()).where(Deployment.status == "CREATE_FAILED"))
    if failed:
        raise SystemExit(f"{failed} deployment(s) failed")
    return int(done or 0)


def _wait_created(engine: Engine, n_deps: int) -> None:
    """Until all are CREATE_COMPLETE. A count reads the whole table (5 ms at 2,000 rows),
    so it runs every 50 ms only near the end: the watcher should not cost the engine."""
    while (left := n_deps - _created(engine)) > 0:
        time.sleep(0.05 if left < 200 else 0.25)  # 200 left take more than 0.25 s


def _create(engine: Engine, n_deps: int) -> None:
    for _ in range(n_deps):
        new = NewDeployment(RUN_DOCKER, {"docker_image": "x"}, user_group="physics")
        create_deployment(engine, new, LOCAL_ADMIN)


def throughput(n_sites: int, n_deps: int, data_dir: Path, queued_first: bool = False) -> float:
    """Deployments per second, from the first request (or, with ``queued_first``, from
    the workers' start with all of them queued) to the last CREATE_COMPLETE; prints the
    process's CPU seconds per deployment too (requests and workers, or workers alone)."""
    engine = engine_with_sites(n_sites, data_dir)
    if queued_first:
        _create(engine, n_deps)
    pool = WorkerPool(engine, 2)
    pool.start()
    start, cpu = time.perf_counter(), time.process_time()
    if not queued_first:
        _create(engine, n_deps)
    _wait_created(engine, n_deps)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    pool.stop()
    engine.close()
    # CPU per deployment varies less than the rate between runs on a shared machine.
    what = "workers alone" if queued_first else "end to end"
    print(f"  {what} on {n_sites} site(s): {n_deps / elapsed:.1f}/s, "
          f"{cpu / n_deps * 1000:.1f} ms of CPU per deployment")  # fmt: skip
    return n_deps / elapsed


def bench_engine(n_sites: int, n_deps: int, data_dir: Path) -> None:
    base = throughput(1, n_deps, data_dir / "one")
    rate = throughput(n_sites, n_deps, data_dir / "many")
    print(f"engine throughput, {n_deps} deployments, 2 workers, SQLite: "
          f"{rate:.1f}/s on {n_sites} sim sites, {base:.1f}/s on 1 sim site "
          f"(ratio {rate / base:.2f}; aim {TARGET_RATE:.0f}/s: "
          f"{'met' if rate >= TARGET_RATE else 'missed'})")  # fmt: skip


def bench_workers(n_sites: int, n_deps: int, data_dir: Path) -> None:
    base = throughput(1, n_deps, data_dir / "one-queued", queued_first=True)
    rate = throughput(n_sites, n_deps, data_dir / "many-queued", queued_first=True)
    print(f"workers alone, {n_deps} deployments queued first, 2 workers, SQLite: "
          f"{rate:.1f}/s on {n_sites} sim sites, {base:.1f}/s on 1 sim site "
          f"(ratio {rate / base:.2f}; aim {TARGET_RATE:.0f}/s: "
          f"{'met' if rate >= TARGET_RATE else 'missed'})")  # fmt: skip


def _worker_process(data_dir: Path, url: str, ready: Any, go: Any, stop: Any) -> None:
    """One ``cumulo worker`` of one thread, as a separate process would run it."""
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    engine = Engine(_settings(data_dir, url))
    pool = WorkerPool(engine, 1)
    ready.release()
    go.wait()
    pool.start()
    stop.wait()
    pool.stop()
    engine.close()


def pg_run(cluster: PgCluster, processes: int, n_deps: int, data_dir: Path) -> float:
    """Deployments per second of ``processes`` worker processes, all queued first."""
    url = cluster.create_database()
    engine = engine_with_sites(1, data_dir, url)
    _create(engine, n_deps)
    spawn = multiprocessing.get_context("spawn")
    ready, go, stop = spawn.Semaphore(0), spawn.Event(), spawn.Event()
    procs = [spawn.Process(target=_worker_process, args=(data_dir, url, ready, go, stop))
             for _ in range(processes)]  # fmt: skip
    for proc in procs:
        proc.start()
    for _ in procs:  # imports and engines ready: time the work, not the start-up
        ready.acquire()
    start = time.perf_counter()
    go.set()
    try:
        _wait_created(engine, n_deps)
        return n_deps / (time.perf_counter() - start)
    finally:
        stop.set()
        for proc in procs:
            proc.join(30)
        engine.close()


def bench_postgresql(n_deps: int, data_dir: Path) -> None:
    reason = unavailable()
    if reason:
        raise SystemExit(f"the PostgreSQL bench needs a local server: {reason}")
    cluster = PgCluster.start()
    try:
        one = pg_run(cluster, 1, n_deps, data_dir / "pg-1")
        three = pg_run(cluster, 3, n_deps, data_dir / "pg-3")
    finally:
        cluster.stop()
    ratio = three / one
    verdict = "met" if ratio >= TARGET_PG_RATIO else "missed"
    print(f"PostgreSQL, {n_deps} deployments queued first on 1 sim site, worker processes of "
          f"1 thread: 1 process {one:.1f}/s, 3 processes {three:.1f}/s (ratio {ratio:.2f}; "
          f"aim {TARGET_PG_RATIO}x: {verdict})")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--deployments", type=int, default=2000)
    ap.add_argument("--only", default="rank,engine,workers,postgresql")
    args = ap.parse_args()
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="cumulo-fedbench-") as tmp:
        if "rank" in only:
            bench_rank(args.sites)
            bench_decide(args.sites, Path(tmp) / "decide")
        if "engine" in only:
            bench_engine(args.sites, args.deployments, Path(tmp))
        if "workers" in only:
            bench_workers(args.sites, args.deployments, Path(tmp))
        if "postgresql" in only:
            bench_postgresql(args.deployments, Path(tmp))


if __name__ == "__main__":
    main()
