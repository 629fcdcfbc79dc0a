"""Benchmark of "Spark + Jupyter cluster" (catalogue ``spark-jupyter``, two workers)
on the local site, against a real ``cumulo serve``.

cumulo: POST -> CREATE_COMPLETE (the master's web UI lists both workers ALIVE and the
hub answers; the hub's configure operation checked the workers) -> the master's
``/json`` read from its published port.
Floor: the same image and processes started by hand on a network of their own:
``docker run`` of the four containers, then by ``docker exec`` the master, the two
workers (at once) and the hub (its owner, its Spark settings, its start), until the
master lists both workers and the hub answers.
Both runs are timed in turn in the same process; the ratio is printed.

Usage: .venv/bin/python bench/spark.py [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import time
import uuid

import httpx
from harness import (
    Api,
    BenchError,
    cumulo_server,
    docker_port,
    docker_rm,
    docker_run,
    interleaved,
    no_leaks,
    require_complete,
    require_docker,
    summary,
)

from cumulo import catalogue
from cumulo.drivers.docker_images import VM_SPARK_12

WORKERS = 2
SET_OWNER = "/usr/local/lib/cumulo-jupyter/set-owner.py"


def alive_workers(endpoint: str) -> int:
    try:
        return int(httpx.get(endpoint.rstrip("/") + "/json/", timeout=5).json()["aliveworkers"])
    except (httpx.HTTPError, ValueError, KeyError):
        return 0


def wait_alive(endpoint: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while alive_workers(endpoint) < WORKERS:
        if time.monotonic() > deadline:
            raise BenchError(f"the master at {endpoint} did not list {WORKERS} workers")
        time.sleep(0.1)


def sh(*argv: str, stdin: str | None = None) -> str:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv[:4])}...: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def address(cid: str, network: str) -> str:
    fmt = f"{{{{(index .NetworkSettings.Networks {json.dumps(network)}).IPAddress}}}}"
    return sh("docker", "inspect", "-f", fmt, cid)


def by_hand(cids: list[str]) -> float:
    """The floor: the same containers and processes, started by hand."""
    network = f"cumulo-bench-{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    sh("docker", "network", "create", "--label", "cumulo.bench=1", network)
    try:
        run = ("--network", network, "--init")
        master = docker_run(*run, "--memory", "1g", "-p", "127.0.0.1::8080", VM_SPARK_12)
        workers = [docker_run(*run, "--memory", "2g", VM_SPARK_12) for _ in range(WORKERS)]
        hub = docker_run(*run, "--memory", "2g", "-p", "127.0.0.1::8000", VM_SPARK_12)
        cids += [master, *workers, hub]
        host = address(master, network)
        sh("docker", "exec", master, "cumulo-spark", "master", host)
        starting = [subprocess.Popen(["docker", "exec", w, "cumulo-spark", "worker",
                                      f"spark://{host}:7077"]) for w in workers]  # fmt: skip
        if any(p.wait() for p in starting):
            raise BenchError("a worker did not start")
        conf = f"spark.master spark://{host}:7077\nspark.executor.memory 512m\n"
        sh("docker", "exec", "-i", hub, "sh", "-c", "cat >/etc/spark/spark-defaults.conf",
           stdin=conf)  # fmt: skip
        sh("docker", "exec", "-i", hub, "python3", SET_OWNER, "bench", stdin=secrets.token_hex(8))
        sh("docker", "exec", hub, "cumulo-jupyterhub", "start")
        wait_alive(f"http://127.0.0.1:{docker_port(master, 8080)}/")
        elapsed = time.perf_counter() - started
    finally:
        docker_rm(cids)
        cids.clear()
        subprocess.run(["docker", "network", "rm", network], capture_output=True)
    return elapsed


def bench_create(url: str, runs: int) -> None:
    api, template, cids = Api(url), catalogue.find("spark-jupyter").read_text(), []

    def ours() -> float:
        params = {"jupyter_password": secrets.token_urlsafe(12), "slave_num": WORKERS,
                  "storage_size": "1 GB"}  # fmt: skip
        started = time.perf_counter()
        dep = require_complete(api.wait_final(api.create(template, params), timeout=600))
        wait_alive(dep["outputs"]["spark_master_endpoint"])
        elapsed = time.perf_counter() - started
        api.delete_all(timeout=300)
        return elapsed

    try:
        floors, samples = interleaved(lambda: by_hand(cids), ours, runs)
    finally:
        api.delete_all(timeout=300)
        docker_rm(cids)
    median, base = statistics.median(samples), statistics.median(floors)
    print(f"Spark + Jupyter cluster, {WORKERS} workers, until the master lists them all")
    print(f"  cumulo  POST -> CREATE_COMPLETE                       {summary(samples)}")
    print(f"  floor   docker run x4 + spark-class by docker exec     {summary(floors)}")
    print(f"  ratio {median / base:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="measured runs of each")
    args = parser.parse_args()
    try:
        require_docker([VM_SPARK_12])
        with cumulo_server() as url:
            try:
                bench_create(url, args.runs)
            finally:
                leak_free = no_leaks()
    except BenchError as exc:
        print(f"bench/spark.py: {exc}", file=sys.stderr)
        return 2
    return 0 if leak_free else 1


if __name__ == "__main__":
    sys.exit(main())
