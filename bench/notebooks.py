"""Benchmark of "Jupyter with persistence for Notebooks" (catalogue ``jupyter``) on the
local site, against a real ``cumulo serve``.

cumulo: POST -> CREATE_COMPLETE -> the owner logs in -> the notebook server is
ready -> the first cell's result arrives over the kernel's websocket.
Floor: the same image started by hand (``docker volume create`` + ``docker run``
+ the owner's password and the hub's start by ``docker exec``), then the same
login, server and first cell. Target: median at most 1.3 x the floor.

Usage: .venv/bin/python bench/notebooks.py [--runs 3]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

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
    volume_create,
    volume_rm,
)

from cumulo import catalogue
from cumulo.drivers.docker_images import VM_JUPYTER_12

# The same hub client the end-to-end tests use (form login, spawn, kernel websocket).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from hub_session import HubSession

CELL = "6 * 7"
SET_OWNER = "/usr/local/lib/cumulo-jupyter/set-owner.py"


def first_cell(endpoint: str, user: str, password: str) -> None:
    """Log in as the owner, start the server, run one cell and check its result."""
    hub = HubSession(endpoint, user)
    try:
        if not hub.login(password):
            raise BenchError(f"the hub at {endpoint} refused its owner {user}")
        hub.start_server()
        result = hub.run_cell(CELL)
        if result != "42":
            raise BenchError(f"the first cell answered {result!r}, not '42'")
    finally:
        hub.close()


def bench_first_cell(url: str, runs: int) -> bool:
    api, template, cids = Api(url), catalogue.find("jupyter").read_text(), []

    def ours() -> float:
        password = secrets.token_urlsafe(12)
        started = time.perf_counter()
        params = {"jupyter_password": password, "mem_size": "1 GB", "storage_size": "1 GB"}
        dep = require_complete(api.wait_final(api.create(template, params)))
        out = dep["outputs"]
        first_cell(out["jupyter_endpoint"], out["jupyter_user"], password)
        elapsed = time.perf_counter() - started
        api.delete_all()
        return elapsed

    def floor() -> float:
        password = secrets.token_urlsafe(12)
        started = time.perf_counter()
        volume = volume_create()
        cid = docker_run("-p", "127.0.0.1::8000", "-v", f"{volume}:/notebooks", VM_JUPYTER_12)
        cids.append(cid)
        owner = ["docker", "exec", "-i", cid, "python3", SET_OWNER, "bench"]
        subprocess.run(owner, input=password, text=True, check=True)
        subprocess.run(["docker", "exec", cid, "cumulo-jupyterhub", "start"], check=True,
                       capture_output=True)  # fmt: skip
        first_cell(f"http://127.0.0.1:{docker_port(cid, 8000)}/", "bench", password)
        elapsed = time.perf_counter() - started
        docker_rm([cid])
        volume_rm(volume)
        return elapsed

    try:
        floors, samples = interleaved(floor, ours, runs)
    finally:
        api.delete_all()
        docker_rm(cids)
    median, base = statistics.median(samples), statistics.median(floors)
    ok = median <= 1.3 * base
    print("Jupyter with persistence until the first cell's result")
    print(f"  cumulo  POST -> login -> server -> first cell          {summary(samples)}")
    print(f"  floor   docker run + hub start -> login -> first cell  {summary(floors)}")
    print(f"  ratio {median / base:.2f}x; target <= 1.3x: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each")
    args = parser.parse_args()
    try:
        require_docker([VM_JUPYTER_12])
        with cumulo_server() as url:
            ok = False
            try:
                ok = bench_first_cell(url, args.runs)
            finally:
                ok = no_leaks() and ok
    except BenchError as exc:
        print(f"bench/notebooks.py: {exc}", file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
