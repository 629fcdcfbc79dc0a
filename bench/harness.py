"""What the benchmarks share: a real ``cumulo serve``, its API, Docker floors, statistics.

Every benchmark starts its own server on a fresh data directory and removes
everything it created, whatever happens.
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CUMULO = str(Path(sys.executable).with_name("cumulo"))
FINAL = {"CREATE_COMPLETE", "CREATE_FAILED"}
BENCH_LABEL = "cumulo.bench=1"  # on floor containers, so a crashed run can be cleaned


# url -> the admin API token the server's first start wrote to its data directory
TOKENS: dict[str, str] = {}


class BenchError(Exception):
    """A benchmark could not run; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_docker(images: list[str]) -> None:
    if shutil.which("docker") is None:
        raise BenchError("the docker CLI is not installed")
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        raise BenchError("no Docker engine reachable (docker info failed)")
    for image in images:
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
            raise BenchError(f"image {image} missing: run scripts/build-images.sh")


@contextmanager
def cumulo_server(
    workers: int | None = None, env: dict[str, str] | None = None, data: Path | None = None
) -> Iterator[str]:
    """A real ``cumulo serve`` on a free port and a temporary data directory; its URL.

    ``env``: the server's environment (e.g. ``CUMULO_DATABASE_URL``), default ours.
    """
    data = data or Path(tempfile.mkdtemp(prefix="cumulo-bench-"))
    port = free_port()
    args = [CUMULO, "serve", "--port", str(port), "--data-dir", str(data)]
    if workers is not None:
        args += ["--workers", str(workers)]
    log = (data / "serve.log").open("w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise BenchError(f"cumulo serve exited {proc.returncode}: {_tail(data)}")
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"cumulo serve did not answer in 60 s: {_tail(data)}")
            time.sleep(0.05)
        TOKENS[url] = (data / "admin.token").read_text().strip()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def _tail(data: Path) -> str:
    return (data / "serve.log").read_text()[-2000:]


class Api:
    """The few REST calls the benchmarks make, with a tight poll for precise timings."""

    # Every uuid any client made in this process: the final leak check looks at them all.
    ever_created: list[str] = []

    def __init__(self, url: str) -> None:
        headers = {"Authorization": f"Bearer {TOKENS[url]}"}
        self.http = httpx.Client(base_url=url, timeout=30, headers=headers)
        self.created: list[str] = []

    def create(self, template: str, parameters: dict[str, Any]) -> str:
        r = self.http.post("/deployments", json={"template": template, "parameters": parameters})
        if r.status_code != 201:
            raise BenchError(f"POST /deployments answered {r.status_code}: {r.text[:500]}")
        uuid = r.json()["uuid"]
        self.created.append(uuid)
        Api.ever_created.append(uuid)
        return uuid

    def get(self, uuid: str) -> dict[str, Any] | None:
        r = self.http.get(f"/deployments/{uuid}")
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()

    def wait_final(self, uuid: str, interval: float = 0.02, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            dep = self.get(uuid)
            if dep is None:
                raise BenchError(f"deployment {uuid} vanished")
            if dep["status"] in FINAL:
                return dep
            if time.monotonic() > deadline:
                raise BenchError(f"deployment {uuid} still {dep['status']} after {timeout} s")
            time.sleep(interval)

    def delete_all(self, timeout: float = 120) -> list[str]:
        """Delete every deployment this client created; the ones not gone in time."""
        for uuid in self.created:
            self.http.delete(f"/deployments/{uuid}")
        deadline = time.monotonic() + timeout
        pending = list(self.created)
        while pending and time.monotonic() < deadline:
            pending = [u for u in pending if self.get(u) is not None]
            time.sleep(0.2)
        self.created = pending
        return pending


def require_complete(dep: dict[str, Any]) -> dict[str, Any]:
    if dep["status"] != "CREATE_COMPLETE":
        raise BenchError(f"deployment {dep['uuid']}: {dep['status']}: {dep.get('statusReason')}")
    return dep


def urls_in(value: Any) -> list[str]:
    """Every http(s) URL in an outputs value, however nested."""
    text = json.dumps(value)
    return [part for part in text.split('"') if part.startswith(("http://", "https://"))]


def wait_http(url: str, timeout: float = 30, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{url} did not answer 200 in {timeout} s")
        time.sleep(interval)


def wait_ssh(port: int, account: str, key: Path, timeout: float = 30) -> None:
    """Until ``ssh -p PORT ACCOUNT@127.0.0.1 true`` succeeds with the key."""
    command = [
        "ssh", "-i", str(key), "-p", str(port), "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=2", "-o", "LogLevel=ERROR", f"{account}@127.0.0.1", "true",
    ]  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"ssh to port {port} failed for {timeout} s: {result.stderr}")
        time.sleep(0.02)


def docker_run(*args: str) -> str:
    """``docker run -d --label cumulo.bench=1 ARGS``; the container id."""
    result = subprocess.run(
        ["docker", "run", "-d", "--label", BENCH_LABEL, *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BenchError(f"docker run {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def docker_port(cid: str, port: int) -> int:
    out = subprocess.run(
        ["docker", "port", cid, f"{port}/tcp"], capture_output=True, text=True, check=True
    ).stdout
    return int(out.splitlines()[0].rsplit(":", 1)[1])


def volume_create() -> str:
    """A new named volume for a floor run (``volume_rm`` removes it)."""
    volume = f"cumulo-bench-{uuidlib.uuid4().hex[:12]}"
    subprocess.run(["docker", "volume", "create", volume], capture_output=True, check=True)
    return volume


def volume_rm(volume: str) -> None:
    subprocess.run(["docker", "volume", "rm", volume], capture_output=True)


def docker_rm(cids: list[str]) -> None:
    if cids:
        subprocess.run(["docker", "rm", "-f", *cids], capture_output=True)


def containers_labelled_with(values: list[str]) -> list[str]:
    """Containers having a label whose value is one of ``values`` (deployment uuids)."""
    out = subprocess.run(
        ["docker", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Labels}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split()[0] for line in out.splitlines() if any(v in line for v in values)]


def no_leaks() -> bool:
    """False (and the leftovers removed) if deleted deployments left containers behind."""
    leaked = containers_labelled_with(Api.ever_created) if Api.ever_created else []
    if leaked:
        print(f"LEAK: {len(leaked)} containers left behind by deleted deployments")
        docker_rm(leaked)
    return not leaked


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def summary(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):.3f} s "
        f"(min {min(samples):.3f}, max {max(samples):.3f}, n={len(samples)})"
    )


def interleaved(
    floor: Callable[[], float], ours: Callable[[], float], runs: int
) -> tuple[list[float], list[float]]:
    """A warm-up of each, then ``runs`` of each in turn, so drift hits both alike."""
    floor(), ours()
    floors, samples = [], []
    for _ in range(runs):
        floors.append(floor())
        samples.append(ours())
    return floors, samples
