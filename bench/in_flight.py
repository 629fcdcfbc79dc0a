"""What deployments in flight cost while they wait (issue 12): memory and idle CPU.

N deployments on sim sites whose nodes take an hour to be ready, in a process
running the engine and two workers on SQLite: once every one is parked (waiting
for its node), the process's memory growth per deployment and its CPU use over
a quiet window. Baseline in the same run: the same process with no deployment
(its idle CPU, polling an empty queue).
Targets: <= 50 KB per deployment in flight; <= 5 % of one core idle with 1,000 waiting.

Usage: .venv/bin/python bench/in_flight.py [--deployments 1000] [--window 30]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from harness import BenchError
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
HOUR = 3600.0


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError("no VmRSS in /proc/self/status")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _idle_share(window: float) -> float:
    """The process's CPU over ``window`` seconds, as a share of one core."""
    cpu, wall = _cpu_seconds(), time.monotonic()
    time.sleep(window)
    return (_cpu_seconds() - cpu) / (time.monotonic() - wall)


def _parked(engine: Engine) -> int:
    with engine.db.reader() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Deployment)
                .where(Deployment.waiting_for.like("node %"))
            )
            or 0
        )


def run(n: int, window: float, data_dir: Path) -> tuple[float, float, float]:
    """(idle CPU share with none, idle CPU share with n waiting, KB of memory per one)."""
    settings = Settings(data_dir=data_dir, health_probe_seconds=0)
    engine = Engine(settings)
    save_site(engine, SiteDef(name="sim", kind="sim", images={"debian": {"12": "x"}},
                              options={"ready_after_s": HOUR}))  # fmt: skip
    save_sla(engine.db, SlaDef(id="sla", group="physics", site="sim"))
    pool = WorkerPool(engine, 2)
    pool.start()
    try:
        time.sleep(2)  # the workers settle
        empty = _idle_share(window)
        before = _rss_kb()
        for _ in range(n):
            new = NewDeployment(RUN_DOCKER, {"docker_image": "x"}, user_group="physics")
            create_deployment(engine, new, LOCAL_ADMIN)
        deadline = time.monotonic() + 600
        while _parked(engine) < n:
            if time.monotonic() > deadline:
                raise BenchError(f"only {_parked(engine)} of {n} parked after 600 s")
            time.sleep(0.5)
        time.sleep(10)  # past the first looks' back-off
        per_one = (_rss_kb() - before) / n
        waiting = _idle_share(window)
        return empty, waiting, per_one
    finally:
        pool.stop()
        engine.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--window", type=float, default=30.0)
    args = parser.parse_args()
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    with tempfile.TemporaryDirectory(prefix="cumulo-inflight-") as tmp:
        try:
            empty, waiting, per_one = run(args.deployments, args.window, Path(tmp))
        except BenchError as exc:
            print(f"bench failed: {exc}")
            return 2
    n = args.deployments
    print(f"{n} deployments parked on a sim site, 2 workers, SQLite, {args.window:.0f} s window")
    print(f"  idle CPU, none in flight (baseline): {100 * empty:.1f} % of one core")
    print(f"  idle CPU, {n} waiting: {100 * waiting:.1f} % of one core "
          f"({waiting / empty if empty else float('inf'):.1f}x the baseline)")  # fmt: skip
    print(f"  memory per deployment in flight: {per_one:.1f} KB (RSS growth / {n})")
    ok = waiting <= 0.05 and per_one <= 50
    print(f"  targets (<= 5 %, <= 50 KB): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
