"""Lifecycle benchmarks against real ``cumulo serve`` / ``cumulo worker`` processes.

1. latency: how soon a status change is visible through the API after the
   Docker event that causes it (container ``start`` -> CREATE_COMPLETE,
   ``die`` after a stop action -> resource STOPPED, last ``destroy`` -> 404),
   p50 and p99, beside the floor: the same event seen through ``docker
   inspect`` (the engine's own API). Target: p99 < 200 ms.
2. churn: N Run docker deployments created and deleted in a loop (C in
   flight), then zero containers, volumes and networks left; deployments per
   second, beside ``docker run`` + ``docker rm`` of the same image at the same
   concurrency.
3. workers: M concurrent Run docker deployments on PostgreSQL with 1 worker
   process, then with 3 (one thread each), in the same run. Target: >= 1.8x.

Usage: .venv/bin/python bench/lifecycle.py [--only latency,churn,workers]
       [--samples 20] [--churn 200] [--inflight 8] [--concurrent 30]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import docker
import httpx
from harness import (
    CUMULO,
    TOKENS,
    Api,
    BenchError,
    containers_labelled_with,
    cumulo_server,
    docker_rm,
    docker_run,
    no_leaks,
    require_complete,
    require_docker,
)

from cumulo import catalogue
from cumulo.store.pg_cluster import PgCluster, unavailable

HTTPD = "cumulo/httpd:1"
APP = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}
POLL = 0.002  # how often the API (or the floor, docker inspect) is asked


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class EventClock:
    """The Docker events of the labelled containers, with the engine's timestamps."""

    def __init__(self) -> None:
        self.client = docker.from_env()
        self.seen: dict[tuple[str, str], float] = {}  # (deployment, action) -> time.time()
        self.cond = threading.Condition()
        self._stream = self.client.api.events(
            filters={"label": "cumulo.deployment", "type": "container"}, decode=True
        )
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for ev in self._stream:
                dep = (ev.get("Actor", {}).get("Attributes") or {}).get("cumulo.deployment")
                if dep:
                    with self.cond:
                        self.seen[(dep, ev.get("Action", ""))] = ev["timeNano"] / 1e9
                        self.cond.notify_all()
        except Exception:  # closed at the end
            pass

    def wait(self, dep: str, action: str, timeout: float = 60) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: (dep, action) in self.seen, timeout):
                raise BenchError(f"no Docker {action} event for {dep} in {timeout} s")
            return self.seen[(dep, action)]

    def close(self) -> None:
        self._stream.close()


def _until(what: str, check: Any, timeout: float = 60) -> float:
    """Poll ``check`` every POLL s; the wall-clock time it first held."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        time.sleep(POLL)
    return time.time()


def _create_delete_sample(http: httpx.Client, uuid: str, clock: EventClock) -> dict[str, float]:
    """A Run docker deployment: delays of CREATE_COMPLETE after ``start``, 404 after ``destroy``."""
    dep_url = f"/deployments/{uuid}"
    seen = _until("the create", lambda: http.get(dep_url).json()["status"] != "CREATE_IN_PROGRESS")
    out = {"create": seen - clock.wait(uuid, "start")}
    require_complete(http.get(dep_url).json())
    http.delete(dep_url)
    gone = _until("the delete", lambda: http.get(dep_url).status_code == 404)
    out["delete"] = gone - clock.wait(uuid, "destroy")
    return out


def _stop_sample(http: httpx.Client, uuid: str, clock: EventClock) -> dict[str, float]:
    """A VM stopped by the action: delay of STOPPED after ``die``, and docker's own (floor)."""
    dep_url = f"/deployments/{uuid}"
    _until("the VM", lambda: http.get(dep_url).json()["status"] != "CREATE_IN_PROGRESS")
    require_complete(http.get(dep_url).json())
    (res,) = http.get(f"{dep_url}/resources").json()["content"]
    res_url, cid = f"{dep_url}/resources/{res['uuid']}", res["physicalId"]
    r = http.post(f"{res_url}/actions", json={"type": "stop"})
    if r.status_code != 202:
        raise BenchError(f"stop answered {r.status_code}: {r.text}")
    engine_saw = _until(
        "docker's stop", lambda: not clock.client.api.inspect_container(cid)["State"]["Running"]
    )
    we_saw = _until("STOPPED", lambda: http.get(res_url).json()["state"] == "STOPPED")
    died = clock.wait(uuid, "die")
    http.delete(dep_url)
    _until("the delete", lambda: http.get(dep_url).status_code == 404)
    return {"floor": engine_saw - died, "stop": we_saw - died}


def bench_latency(url: str, samples: int, pub_key: str) -> bool:
    api, clock = Api(url), EventClock()
    app, vm = (catalogue.find(n).read_text() for n in ("run-docker", "vm"))
    auth = {"Authorization": f"Bearer {TOKENS[url]}"}
    http = httpx.Client(base_url=url, timeout=10, headers=auth)
    lat: dict[str, list[float]] = {"create": [], "stop": [], "delete": [], "floor": []}
    try:
        for _ in range(samples):
            for template, params, sample in (
                (app, APP, _create_delete_sample),
                (vm, {"ssh_public_key": pub_key}, _stop_sample),
            ):
                uuid = api.create(template, params)
                for name, value in sample(http, uuid, clock).items():
                    lat[name].append(value)
                api.created.remove(uuid)
    finally:
        api.delete_all()
        clock.close()
    floor = lat.pop("floor")
    print(f"Status change visible through the API after the Docker event (n={samples})")
    ok = True
    notes = {
        "create": "container start -> CREATE_COMPLETE (includes httpd's own start)",
        "stop": "VM die (stop action) -> resource STOPPED",
        "delete": "last container destroy -> 404",
    }
    for name, values in lat.items():
        p50, p99 = _pct(values, 50) * 1000, _pct(values, 99) * 1000
        ok = ok and p99 < 200
        print(f"  {name:7s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms   {notes[name]}")
    f50, f99 = _pct(floor, 50) * 1000, _pct(floor, 99) * 1000
    print(f"  floor   p50 {f50:6.1f} ms  p99 {f99:6.1f} ms   docker inspect sees the same stop")
    print(f"  target p99 < 200 ms: {'PASS' if ok else 'FAIL'}")
    return ok


def _leftovers(uuids: list[str]) -> tuple[int, int, int]:
    containers = len(containers_labelled_with(uuids))
    counts = []
    for kind in ("volume", "network"):
        out = subprocess.run(
            ["docker", kind, "ls", "-q", "--filter", "label=cumulo.deployment"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        mine = 0
        for name in out:
            labels = subprocess.run(
                ["docker", kind, "inspect", "-f", "{{json .Labels}}", name],
                capture_output=True, text=True,
            ).stdout  # fmt: skip
            mine += any(u in labels for u in uuids)
        counts.append(mine)
    return containers, counts[0], counts[1]


def bench_churn(url: str, total: int, inflight: int) -> bool:
    template = catalogue.find("run-docker").read_text()
    uuids: list[str] = []
    lock = threading.Lock()

    def cycle(_: int) -> None:
        api = Api(url)
        uuid = api.create(template, APP)
        with lock:
            uuids.append(uuid)
        require_complete(api.wait_final(uuid, interval=0.05))
        if api.delete_all(timeout=120):
            raise BenchError(f"deployment {uuid} not deleted in 120 s")

    def floor_cycle(_: int) -> None:
        cid = docker_run("-p", "127.0.0.1::8080", HTTPD)
        docker_rm([cid])

    started = time.perf_counter()
    with ThreadPoolExecutor(inflight) as pool:
        list(pool.map(cycle, range(total)))
    ours = time.perf_counter() - started
    started = time.perf_counter()
    with ThreadPoolExecutor(inflight) as pool:
        list(pool.map(floor_cycle, range(total)))
    floor = time.perf_counter() - started
    leaked = _leftovers(uuids)
    ok = leaked == (0, 0, 0)
    print(f"Create + delete in a loop: {total} Run docker deployments, {inflight} in flight")
    print(f"  cumulo  {total / ours:6.2f} deployments/s ({ours:.1f} s)")
    print(f"  floor   {total / floor:6.2f} docker run + rm /s ({floor:.1f} s)")
    verdict = "PASS" if ok else "FAIL"
    print(f"  ratio {ours / floor:.2f}x the floor's time; left behind: containers "
          f"{leaked[0]}, volumes {leaked[1]}, networks {leaked[2]}: {verdict}")  # fmt: skip
    return ok


@contextmanager
def _pg_setup(workers: int, data: Path, db_url: str) -> Any:
    env = {**os.environ, "CUMULO_DATABASE_URL": db_url, "CUMULO_JOB_POLL_SECONDS": "0.1"}
    with ExitStack() as stack:
        url = stack.enter_context(cumulo_server(0, env=env, data=data))
        procs = []
        for i in range(workers):
            log = stack.enter_context((data / f"worker{i}.log").open("w"))
            procs.append(subprocess.Popen(
                [CUMULO, "worker", "--workers", "1", "--data-dir", str(data)],
                stdout=log, stderr=subprocess.STDOUT, env=env,
            ))  # fmt: skip
        try:
            for i in range(workers):
                deadline = time.monotonic() + 60
                while "cumulo worker:" not in (data / f"worker{i}.log").read_text():
                    if time.monotonic() > deadline or procs[i].poll() is not None:
                        raise BenchError(f"worker {i} did not start")
                    time.sleep(0.05)
            yield url
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)


def _concurrent_run(url: str, n: int) -> float:
    api, template = Api(url), catalogue.find("run-docker").read_text()
    try:
        started = time.perf_counter()
        uuids = [api.create(template, APP) for _ in range(n)]
        for uuid in uuids:
            require_complete(api.wait_final(uuid, interval=0.05))
        return time.perf_counter() - started
    finally:
        if api.delete_all(timeout=180):
            raise BenchError("deployments not deleted in 180 s")


def bench_workers(n: int) -> bool:
    reason = unavailable()
    if reason:
        raise BenchError(reason)
    cluster = PgCluster.start()
    times = {}
    try:
        for workers in (1, 3):
            data = Path(tempfile.mkdtemp(prefix="cumulo-bench-pg-"))
            with _pg_setup(workers, data, cluster.create_database()) as url:
                _concurrent_run(url, 2 * workers)  # warm-up: each worker's first plan, imports
                times[workers] = _concurrent_run(url, n)
    finally:
        cluster.stop()
    floors = {par: _docker_floor(n, par) for par in (1, 3)}
    ratio = times[1] / times[3]
    ok = ratio >= 1.8
    print(f"{n} concurrent Run docker deployments on PostgreSQL, worker processes of 1 thread")
    print(f"  1 worker   {n / times[1]:6.2f} deployments/s ({times[1]:.1f} s)")
    print(f"  3 workers  {n / times[3]:6.2f} deployments/s ({times[3]:.1f} s)")
    print(f"  floor: docker run -d -p, 1 at a time {n / floors[1]:.2f}/s, 3 at a time "
          f"{n / floors[3]:.2f}/s: {floors[1] / floors[3]:.2f}x on this machine")  # fmt: skip
    print(f"  ratio {ratio:.2f}x; target >= 1.8x: {'PASS' if ok else 'FAIL'}")
    return ok


def _docker_floor(n: int, parallel: int) -> float:
    """Seconds for ``n`` ``docker run -d -p`` of the same image, ``parallel`` at a time."""
    cids: list[str] = []
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(parallel) as pool:
            cids = list(pool.map(lambda _: docker_run("-p", "127.0.0.1::8080", HTTPD), range(n)))
        return time.perf_counter() - started
    finally:
        docker_rm(cids)


def _public_key() -> str:
    keydir = Path(tempfile.mkdtemp(prefix="cumulo-bench-key-"))
    key = keydir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return (keydir / "id_ed25519.pub").read_text().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="latency,churn,workers")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--churn", type=int, default=200)
    parser.add_argument("--inflight", type=int, default=8)
    parser.add_argument("--concurrent", type=int, default=30)
    args = parser.parse_args()
    only = set(args.only.split(","))
    results = []
    try:
        require_docker([HTTPD])
        if only & {"latency", "churn"}:
            with cumulo_server(4) as url:
                if "latency" in only:
                    results.append(bench_latency(url, args.samples, _public_key()))
                if "churn" in only:
                    results.append(bench_churn(url, args.churn, args.inflight))
        if "workers" in only:
            results.append(bench_workers(args.concurrent))
    except BenchError as exc:
        print(f"bench/lifecycle.py: {exc}", file=sys.stderr)
        return 2
    finally:
        results.append(no_leaks())
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
