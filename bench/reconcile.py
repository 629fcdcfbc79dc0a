"""Figure: a restart of the Docker engine under 5 deployments (4 Run docker, 1 VM).

Measured from the engine's return (its API answers again) until every deployment
serves again at the address its outputs give (HTTP 200; SSH with the user's
key). Baseline, in the same run: the same containers without restart policy
and without cumulo, brought back by hand with one ``docker start`` of them all,
timed until the same services answer at the ports Docker gives them.

The engine is a second dockerd of the benchmark's own (``tests/e2e/own_dockerd.py``):
the machine's engine is shared and never restarted.

    .venv/bin/python bench/reconcile.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from harness import Api, BenchError, cumulo_server, require_complete, summary, urls_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from own_dockerd import OwnDockerd, why_not

from cumulo import catalogue

APP = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}
APPS = 4
PATIENCE = 120.0


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def ssh_ok(port: int, account: str, key: Path) -> bool:
    command = [
        "ssh", "-i", str(key), "-p", str(port), "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=2", "-o", "LogLevel=ERROR", f"{account}@127.0.0.1", "true",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True).returncode == 0


def until(check: Callable[[], bool], started: float) -> float:
    """Seconds from ``started`` until ``check()`` holds."""
    while not check():
        if time.monotonic() - started > PATIENCE:
            raise BenchError(f"not serving {PATIENCE:.0f} s after the engine's return")
        time.sleep(0.05)
    return time.monotonic() - started


def serving_by_outputs(api: Api, apps: list[str], vm: str, key: Path) -> bool:
    """Every deployment answers where its outputs (as cumulo says now) point."""
    for dep_id in apps:
        dep = api.get(dep_id) or {}
        if dep.get("statusReason") or not all(http_ok(u) for u in urls_in(dep["outputs"])):
            return False
    out = (api.get(vm) or {}).get("outputs") or {}
    return ssh_ok(int(out["ssh_port"]), out["ssh_account"], key)


def serving_by_docker(own: OwnDockerd, apps: list[str], vm: str, account: str, key: Path) -> bool:
    """Every container answers at the port Docker published it on."""

    def port(cid: str, inside: str) -> str:
        return own.docker("port", cid, inside, check=False).stdout.split(":")[-1].strip()

    if not all((p := port(c, "8080/tcp")) and http_ok(f"http://127.0.0.1:{p}") for c in apps):
        return False
    return bool(p := port(vm, "22/tcp")) and ssh_ok(int(p), account, key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    problem = why_not()
    if problem:
        raise BenchError(f"a Docker engine of the benchmark's own cannot run here: {problem}")
    own = OwnDockerd()
    work = Path(tempfile.mkdtemp(prefix="cumulo-bench-reconcile-"))
    key = work / "id_ed25519"
    (work / "data").mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    cumulo_times: list[float] = []
    by_hand: list[float] = []
    launches: dict[str, list[float]] = {"cumulo": [], "hand": []}  # launch -> answering
    try:
        own.start()
        own.load("cumulo/vm-debian:12", "cumulo/httpd:1")
        env = {**os.environ, "CUMULO_DOCKER_HOST": own.endpoint, "CUMULO_RECONCILE_SECONDS": "5"}
        template = {n: catalogue.find(n).read_text() for n in ("run-docker", "vm")}  # type: ignore[union-attr]
        with cumulo_server(workers=2, env=env, data=work / "data") as url:
            api = Api(url)
            apps = [api.create(template["run-docker"], APP) for _ in range(APPS)]
            vm = api.create(template["vm"], {"ssh_public_key": key.with_suffix(".pub").read_text()})
            for dep_id in [*apps, vm]:
                require_complete(api.wait_final(dep_id))
            account = api.get(vm)["outputs"]["ssh_account"]  # type: ignore[index]
            for _ in range(args.rounds):
                own.stop()
                launches["cumulo"].append(own.start())
                cumulo_times.append(
                    until(lambda: serving_by_outputs(api, apps, vm, key), time.monotonic())
                )
        # cumulo is gone; the same containers, without their restart policy, by hand
        containers = {
            c: own.docker(
                "inspect", "--format", '{{index .Config.Labels "cumulo.kind"}}', c
            ).stdout.strip()
            for c in own.docker("ps", "-aq", "--no-trunc").stdout.split()
        }
        app_ids = [c for c, kind in containers.items() if kind != "vm"]
        (vm_id,) = [c for c, kind in containers.items() if kind == "vm"]
        own.docker("update", "--restart", "no", *containers)
        for _ in range(args.rounds):
            own.stop()
            launches["hand"].append(own.start())
            started = time.monotonic()
            own.docker("start", *containers)
            by_hand.append(
                until(lambda: serving_by_docker(own, app_ids, vm_id, account, key), started)
            )
    finally:
        own.remove()
        subprocess.run(["rm", "-rf", str(work)], check=False)
    print(f"engine restart, {APPS + 1} deployments ({APPS} Run docker, 1 VM), {args.rounds} rounds")
    print(f"  cumulo (restart policy + reconciler), return -> all serving: {summary(cumulo_times)}")
    print(f"  baseline (docker start by hand), return -> all serving:       {summary(by_hand)}")
    print(
        f"  the engine's start-up (launch -> answering), with policy: {summary(launches['cumulo'])}"
    )
    print(
        f"  the engine's start-up (launch -> answering), without:     {summary(launches['hand'])}"
    )
    ratio = (sum(cumulo_times) / len(cumulo_times)) / (sum(by_hand) / len(by_hand))
    print(f"  ratio cumulo / by hand: {ratio:.2f}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"bench/reconcile.py: {exc}")
