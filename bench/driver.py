"""Docker driver benchmark: the local site's own latency, without the API and engine.

1. VM: ``create`` + ``wait_ready`` of a Compute node until ``ssh true`` with the
   user's key succeeds; against the floor ``docker run -d`` of the same image
   (same accounts) + the first successful SSH login. Target: median < 3 s.
2. Run docker: ``create`` + ``wait_ready`` of a dockerRun node (cumulo/httpd:1)
   until the first successful HTTP GET; against the floor
   ``docker run -d -p 127.0.0.1::8080 cumulo/httpd:1`` + the first successful GET.

Usage: .venv/bin/python bench/driver.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from cumulo.drivers.base import NodeRequest, SiteInfo
from cumulo.drivers.docker import DockerDriver

ENDPOINT = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
VM_IMAGE, HTTPD_IMAGE = "cumulo/vm-debian:12", "cumulo/httpd:1"
LABEL = "cumulo.bench=driver"


def retry(attempt: Callable[[], bool], limit: float = 30) -> None:
    """Repeat ``attempt`` with a short back-off (5 ms .. 50 ms) until it succeeds."""
    end, pause = time.monotonic() + limit, 0.005
    while not attempt():
        if time.monotonic() > end:
            raise RuntimeError("gave up after 30 s")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def ssh_ok(key: Path, port: int) -> bool:
    args = ["ssh", "-i", str(key), "-p", str(port), "-o", "StrictHostKeyChecking=no"]
    args += ["-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]
    return (
        subprocess.run([*args, "cloudadm@127.0.0.1", "true"], capture_output=True).returncode == 0
    )


def http_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def docker_run(*args: str) -> tuple[str, int]:
    """``docker run -d`` (the CLI, as a user would); the container id and its published port."""
    cid = subprocess.run(
        ["docker", "run", "-d", "--label", LABEL, *args], capture_output=True, text=True, check=True
    ).stdout.strip()
    out = subprocess.run(["docker", "port", cid], capture_output=True, text=True, check=True)
    return cid, int(out.stdout.splitlines()[0].rsplit(":", 1)[1])


def vm_request(dep: str, public_key: str) -> NodeRequest:
    types = ("tosca.nodes.indigo.Compute", "tosca.nodes.Compute")
    caps = {"host": {"num_cpus": 1, "mem_size": "512 MB"}, "os": {"distribution": "debian"}}
    return NodeRequest(dep, "server", 0, types[0], types, {}, caps, ssh_public_keys=(public_key,))


def run_request(dep: str) -> NodeRequest:
    props = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}
    types = ("tosca.nodes.indigo.dockerRun",)
    return NodeRequest(dep, "app", 0, types[0], types, props, {})


def through_driver(driver: DockerDriver, request: NodeRequest, reach: Callable[[dict], bool]):
    start = time.monotonic()
    try:
        realized = driver.wait_ready(request, driver.create(request), time.monotonic() + 60)
        retry(lambda: reach(realized.attributes))
        return time.monotonic() - start
    finally:
        driver.delete_deployment(request.deployment_id)


def floor(args: list[str], reach: Callable[[int], bool]) -> float:
    start = time.monotonic()
    cid, port = docker_run(*args)
    try:
        retry(lambda: reach(port))
        return time.monotonic() - start
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)


def report(name: str, ours: list[float], base: list[float]) -> None:
    m, f = statistics.median(ours), statistics.median(base)
    print(
        f"{name}: driver median {m * 1000:.0f} ms (min {min(ours) * 1000:.0f}, max "
        f"{max(ours) * 1000:.0f}); floor median {f * 1000:.0f} ms; ratio {m / f:.2f}x; "
        f"overhead {(m - f) * 1000:+.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    for image in (VM_IMAGE, HTTPD_IMAGE):
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
            print(f"image {image} missing: run scripts/build-images.sh", file=sys.stderr)
            return 2
    driver = DockerDriver(SiteInfo(name="bench-local", endpoint=ENDPOINT))
    driver.ping()
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        public = key.with_suffix(".pub").read_text().strip()
        accounts = f"CUMULO_ACCOUNTS=cloudadm 1 {public}"
        vm_floor_args = ["--init", "-p", "127.0.0.1::22", "-e", accounts, VM_IMAGE]
        vm, vm_base, web, web_base = [], [], [], []
        for _ in range(runs):  # interleaved, so drifts of the machine hit both alike
            vm.append(
                through_driver(
                    driver,
                    vm_request(str(uuid.uuid4()), public),
                    lambda a: ssh_ok(key, a["ssh_port"]),
                )
            )
            vm_base.append(floor(vm_floor_args, lambda p: ssh_ok(key, p)))
            web.append(
                through_driver(
                    driver,
                    run_request(str(uuid.uuid4())),
                    lambda a: http_ok(a["ports"]["8080/tcp"]),
                )
            )
            web_base.append(floor(["-p", "127.0.0.1::8080", HTTPD_IMAGE], http_ok))
    report("VM until SSH accepts the key", vm, vm_base)
    report("Run docker until first HTTP 200", web, web_base)
    target = statistics.median(vm) < 3
    print(f"VM target (median < 3 s): {'met' if target else 'MISSED'}")
    return 0 if target else 1


if __name__ == "__main__":
    sys.exit(main())
