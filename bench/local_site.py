"""Benchmarks of the local site's services against a real ``cumulo serve``.

1. Virtual machine with block storage (catalogue ``vm-storage``): POST -> SSH
   accepts the key, against ``docker volume create`` + ``docker run -v`` of the
   same image + the first SSH login. Target: median under 4 s.
2. The two-service compose example (catalogue ``compose-counter``): POST ->
   the web app answers (it answers only when its database does), against plain
   ``docker-compose up -d`` (or ``docker compose``) of the same compose file +
   the same first answer. Target: median at most 1.3 x the baseline.

Usage: .venv/bin/python bench/local_site.py [--runs 5] [--only storage,compose]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path

import yaml
from harness import (
    Api,
    BenchError,
    containers_labelled_with,
    cumulo_server,
    docker_port,
    docker_rm,
    docker_run,
    interleaved,
    require_complete,
    require_docker,
    summary,
    volume_create,
    volume_rm,
    wait_http,
    wait_ssh,
)

from cumulo import catalogue
from cumulo.drivers.docker.compose import compose_command

VM, REDIS, WEB = "cumulo/vm-debian:12", "cumulo/redis:7", "cumulo/counter-web:1"


def bench_storage(url: str, runs: int) -> bool:
    api, template, cids = Api(url), catalogue.find("vm-storage").read_text(), []
    keydir = Path(tempfile.mkdtemp(prefix="cumulo-bench-key-"))
    key = keydir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    pub = (keydir / "id_ed25519.pub").read_text().strip()

    def ours() -> float:
        started = time.perf_counter()
        dep = require_complete(api.wait_final(api.create(template, {"ssh_public_key": pub})))
        wait_ssh(int(dep["outputs"]["ssh_port"]), dep["outputs"]["ssh_account"], key)
        elapsed = time.perf_counter() - started
        api.delete_all()
        return elapsed

    def floor() -> float:
        started = time.perf_counter()
        volume = volume_create()
        cid = docker_run("-p", "127.0.0.1::22", "-v", f"{volume}:/data",
                         "-e", f"CUMULO_ACCOUNTS=bench 1 {pub}", VM)  # fmt: skip
        cids.append(cid)
        wait_ssh(docker_port(cid, 22), "bench", key)
        elapsed = time.perf_counter() - started
        docker_rm([cid])
        volume_rm(volume)
        return elapsed

    try:
        floors, samples = interleaved(floor, ours, runs)
    finally:
        api.delete_all()
        docker_rm(cids)
        subprocess.run(["rm", "-rf", str(keydir)])
    median, base = statistics.median(samples), statistics.median(floors)
    ok = median < 4.0
    print("Virtual machine with block storage until SSH accepts the key")
    print(f"  cumulo  POST -> ssh login ok                    {summary(samples)}")
    print(f"  floor   volume create + docker run + ssh login  {summary(floors)}")
    print(f"  ratio {median / base:.2f}x; target < 4 s: {'PASS' if ok else 'FAIL'}")
    return ok


def _example() -> tuple[str, dict]:
    text = catalogue.find("compose-counter").read_text()
    node = yaml.safe_load(text)["topology_template"]["node_templates"]["compose_app"]
    return text, node["properties"]


def bench_compose(url: str, runs: int) -> bool:
    command = compose_command()
    if command is None:
        raise BenchError("no compose on this machine (docker compose or docker-compose)")
    api, (template, properties) = Api(url), _example()
    folder = Path(tempfile.mkdtemp(prefix="cumulo-bench-compose-"))
    # The same file, its one published port on 127.0.0.1 as cumulo publishes it.
    doc = yaml.safe_load(properties["docker_compose_file_content"])
    doc["services"]["web"]["ports"] = ["127.0.0.1::8000"]
    (folder / "docker-compose.yml").write_text(yaml.safe_dump(doc))
    env = {**os.environ, "APP_TITLE": "bench"}

    def compose(project: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*command, "-p", project, *args], cwd=folder, env=env,
                              capture_output=True, text=True)  # fmt: skip

    def floor() -> float:
        project = f"cumulo-bench-{uuidlib.uuid4().hex[:12]}"
        started = time.perf_counter()
        up = compose(project, "up", "-d")
        if up.returncode:
            raise BenchError(f"compose up: {up.stderr[-500:]}")
        port = compose(project, "port", "web", "8000").stdout.strip().rsplit(":", 1)[1]
        wait_http(f"http://127.0.0.1:{port}/health")
        elapsed = time.perf_counter() - started
        compose(project, "kill")
        compose(project, "down", "-v")
        return elapsed

    def ours() -> float:
        started = time.perf_counter()
        dep = require_complete(api.wait_final(api.create(template, {"app_title": "bench"})))
        wait_http(dep["outputs"]["web_url"].rstrip("/") + "/health")
        elapsed = time.perf_counter() - started
        api.delete_all()
        return elapsed

    try:
        floors, samples = interleaved(floor, ours, runs)
    finally:
        api.delete_all()
        subprocess.run(["rm", "-rf", str(folder)])
    median, base = statistics.median(samples), statistics.median(floors)
    ok = median <= 1.3 * base
    print(f"Two-service compose example until the web app answers ({' '.join(command)})")
    print(f"  cumulo  POST -> web app answers                 {summary(samples)}")
    print(f"  floor   compose up -d + web app answers         {summary(floors)}")
    print(f"  ratio {median / base:.2f}x; target <= 1.3x: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per scenario")
    parser.add_argument("--only", default="storage,compose")
    args = parser.parse_args()
    scenarios = set(args.only.split(","))
    try:
        require_docker([VM, REDIS, WEB])
        with cumulo_server() as url:
            results = []
            try:
                if "storage" in scenarios:
                    results.append(bench_storage(url, args.runs))
                if "compose" in scenarios:
                    results.append(bench_compose(url, args.runs))
            finally:
                leaked = containers_labelled_with(Api.ever_created) if Api.ever_created else []
                if leaked:
                    print(f"LEAK: {len(leaked)} containers left behind by deleted deployments")
                    docker_rm(leaked)
                    results.append(False)
    except BenchError as exc:
        print(f"bench/local_site.py: {exc}", file=sys.stderr)
        return 2
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
