"""Deployment benchmarks against a real ``cumulo serve`` on the local Docker site.

1. Run docker: POST -> CREATE_COMPLETE for one container (cumulo/httpd:1),
   against the floor ``docker run -d -p 127.0.0.1::8080 cumulo/httpd:1`` plus
   the first successful HTTP request. Target: median <= max(1.5 x floor,
   floor + 300 ms).
2. Virtual machine: POST -> SSH accepts the key, against ``docker run`` of the
   same image plus the first successful SSH login. Target: median < 3 s.
3. N concurrent Run docker deployments, all CREATE_COMPLETE: deployments per
   second, against N concurrent floors.

Usage: .venv/bin/python bench/deploy.py [--runs 7] [--concurrent 20] [--only docker,vm,concurrent]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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
    urls_in,
    wait_http,
    wait_ssh,
)

from cumulo import catalogue

HTTPD, VM = "cumulo/httpd:1", "cumulo/vm-debian:12"
HTTPD_PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}


def floor_docker(cids: list[str]) -> float:
    """docker run -d + first HTTP 200, in seconds."""
    started = time.perf_counter()
    cid = docker_run("-p", "127.0.0.1::8080", HTTPD)
    cids.append(cid)
    wait_http(f"http://127.0.0.1:{docker_port(cid, 8080)}/")
    elapsed = time.perf_counter() - started
    docker_rm([cid])
    return elapsed


def cumulo_docker(api: Api, template: str) -> float:
    """POST -> CREATE_COMPLETE, in seconds; the endpoint is then checked to answer."""
    started = time.perf_counter()
    uuid = api.create(template, HTTPD_PARAMS)
    dep = require_complete(api.wait_final(uuid))
    elapsed = time.perf_counter() - started
    urls = urls_in(dep["outputs"])
    if not urls:
        raise BenchError(f"deployment {uuid} has no URL in its outputs: {dep['outputs']}")
    wait_http(urls[0], timeout=5)
    api.delete_all()
    return elapsed


def bench_docker(url: str, runs: int) -> bool:
    api, template, cids = Api(url), catalogue.find("run-docker").read_text(), []
    try:
        floors, ours = interleaved(
            lambda: floor_docker(cids), lambda: cumulo_docker(api, template), runs
        )
    finally:
        api.delete_all()
        docker_rm(cids)
    floor, median = statistics.median(floors), statistics.median(ours)
    target = max(1.5 * floor, floor + 0.3)
    ok = median <= target
    print("Run docker, one container (cumulo/httpd:1)")
    print(f"  cumulo  POST -> CREATE_COMPLETE          {summary(ours)}")
    print(f"  floor   docker run -d + first HTTP 200   {summary(floors)}")
    print(f"  ratio {median / floor:.2f}x, +{(median - floor) * 1000:.0f} ms; "
          f"target <= {target:.3f} s: {'PASS' if ok else 'FAIL'}")  # fmt: skip
    return ok


def _ssh_target(outputs: dict) -> tuple[int, str]:
    def first(v):
        return v[0] if isinstance(v, list) else v

    port, account = first(outputs.get("ssh_port")), first(outputs.get("ssh_account"))
    if not port or not account:
        raise BenchError(f"VM outputs lack ssh_port/ssh_account: {outputs}")
    return int(port), str(account)


def bench_vm(url: str, runs: int) -> bool:
    api, template, cids = Api(url), catalogue.find("vm").read_text(), []
    keydir = Path(tempfile.mkdtemp(prefix="cumulo-bench-key-"))
    key = keydir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    pub = (keydir / "id_ed25519.pub").read_text().strip()

    def ours() -> float:
        started = time.perf_counter()
        dep = require_complete(api.wait_final(api.create(template, {"ssh_public_key": pub})))
        port, account = _ssh_target(dep["outputs"])
        wait_ssh(port, account, key)
        elapsed = time.perf_counter() - started
        api.delete_all()
        return elapsed

    def floor() -> float:
        started = time.perf_counter()
        cid = docker_run("-p", "127.0.0.1::22", "-e", f"CUMULO_ACCOUNTS=bench 1 {pub}", VM)
        cids.append(cid)
        wait_ssh(docker_port(cid, 22), "bench", key)
        elapsed = time.perf_counter() - started
        docker_rm([cid])
        return elapsed

    try:
        floors, samples = interleaved(floor, ours, runs)
    finally:
        api.delete_all()
        docker_rm(cids)
        subprocess.run(["rm", "-rf", str(keydir)])
    median, base = statistics.median(samples), statistics.median(floors)
    ok = median < 3.0
    print("Virtual machine (cumulo/vm-debian:12) until SSH accepts the key")
    print(f"  cumulo  POST -> ssh login ok             {summary(samples)}")
    print(f"  floor   docker run -d + ssh login ok     {summary(floors)}")
    print(f"  ratio {median / base:.2f}x; target < 3 s: {'PASS' if ok else 'FAIL'}")
    return ok


def bench_concurrent(url: str, n: int) -> bool:
    api, template, cids = Api(url), catalogue.find("run-docker").read_text(), []
    try:
        with ThreadPoolExecutor(n) as pool:
            started = time.perf_counter()
            list(pool.map(lambda _: floor_docker(cids), range(n)))
            floor_elapsed = time.perf_counter() - started

            started = time.perf_counter()
            uuids = list(pool.map(lambda _: api.create(template, HTTPD_PARAMS), range(n)))
        statuses: dict[str, str] = {}
        pending = set(uuids)
        while pending:  # one poller, so polling does not load the server n-fold
            for uuid in list(pending):
                dep = api.get(uuid)
                if dep is None:
                    raise BenchError(f"deployment {uuid} vanished")
                if dep["status"] in ("CREATE_COMPLETE", "CREATE_FAILED"):
                    statuses[uuid] = dep["status"]
                    pending.discard(uuid)
            if time.perf_counter() - started > 600:
                raise BenchError(f"{len(pending)} deployments not final after 600 s")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        api.delete_all(timeout=300)
        docker_rm(cids)
    complete = sum(s == "CREATE_COMPLETE" for s in statuses.values())
    ok = complete == n
    print(f"{n} concurrent Run docker deployments")
    print(f"  cumulo  {complete}/{n} CREATE_COMPLETE in {elapsed:.2f} s: "
          f"{n / elapsed:.2f} deployments/s")  # fmt: skip
    print(f"  floor   {n} concurrent docker run + HTTP in {floor_elapsed:.2f} s: "
          f"{n / floor_elapsed:.2f} containers/s")  # fmt: skip
    print(f"  ratio {elapsed / floor_elapsed:.2f}x; all complete: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs per scenario")
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None, help="cumulo serve --workers")
    parser.add_argument("--only", default="docker,vm,concurrent")
    args = parser.parse_args()
    scenarios = set(args.only.split(","))
    try:
        require_docker([HTTPD, VM])
        with cumulo_server(args.workers) as url:
            results = []
            try:
                if "docker" in scenarios:
                    results.append(bench_docker(url, args.runs))
                if "vm" in scenarios:
                    results.append(bench_vm(url, args.runs))
                if "concurrent" in scenarios:
                    results.append(bench_concurrent(url, args.concurrent))
            finally:
                results.append(no_leaks())
    except BenchError as exc:
        print(f"bench/deploy.py: {exc}", file=sys.stderr)
        return 2
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
