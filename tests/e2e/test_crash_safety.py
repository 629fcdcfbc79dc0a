"""Crash safety: ``kill -9`` a worker, or the whole ``cumulo serve``, in the middle of a
create, an update or a delete, start it again, and find exactly the expected containers.

Processes are real (``cumulo serve`` / ``cumulo worker`` on the chosen database)
and really killed with SIGKILL; a short job lease makes the restarted worker
take the interrupted job over within seconds.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_helpers import (
    CUMULO,
    auth,
    containers_of,
    cumulo_env,
    free_port,
    wait_answering,
    wait_final,
)

pytestmark = pytest.mark.e2e

SCALABLE = (Path(__file__).parents[1] / "engine" / "data" / "scalable.yaml").read_text()
LEASE = "2"


class Processes:
    """``cumulo serve`` and ``cumulo worker`` over one data dir and database, killable."""

    def __init__(self, data: Path, database_url: str) -> None:
        self.data = data
        self.env = cumulo_env(database_url, job_lease_seconds=LEASE, job_poll_seconds="0.2")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        with (self.data / f"{name}.log").open("a") as log:
            self.procs[name] = subprocess.Popen(
                [CUMULO, *args, "--data-dir", str(self.data)],
                stdout=log, stderr=subprocess.STDOUT, env=self.env,
            )  # fmt: skip
        if name == "serve":
            wait_answering(self.url, self.procs[name], self.data / "serve.log")

    def serve(self, workers: int) -> None:
        self.start("serve", "serve", "--port", str(self.port), "--workers", str(workers))

    def worker(self) -> None:
        self.start("worker", "worker", "--workers", "2")

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.kill()  # SIGKILL: no cleanup, no lease released
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


@contextmanager
def processes(tmp_path: Path, database_url: str) -> Iterator[Processes]:
    procs = Processes(tmp_path, database_url)
    try:
        yield procs
    finally:
        procs.stop_all()


def _resources(url: str, dep_id: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{url}/deployments/{dep_id}/resources", headers=auth(url), params={"size": 100}, timeout=10
    )
    return r.json()["content"] if r.status_code == 200 else []


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _in_the_middle(url: str, dep_id: str) -> bool:
    """Some node is made (CONFIGURED) and another is still being made: kill now."""
    states = [r["state"] for r in _resources(url, dep_id)]
    return "CONFIGURED" in states and any(
        s in ("INITIAL", "CREATING", "CONFIGURING") for s in states
    )


def _exactly_the_expected_containers(url: str, dep_id: str, instances: int) -> None:
    made = sorted(r["physicalId"] for r in _resources(url, dep_id))
    assert len(made) == instances and all(made), made
    assert sorted(containers_of(dep_id, full=True)) == made  # no duplicate, no orphan


def _create(url: str, n: int) -> str:
    body = {"template": SCALABLE, "parameters": {"n": n}}
    r = httpx.post(f"{url}/deployments", headers=auth(url), json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def _gone(url: str, dep_id: str) -> bool:
    return (
        httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10).status_code == 404
    )


def _delete_all(url: str, dep_id: str) -> None:
    httpx.delete(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10)
    _wait_for("the delete", lambda: _gone(url, dep_id))
    assert containers_of(dep_id) == []


def test_a_worker_killed_during_a_create_then_an_update_then_a_delete(
    docker_ready: None, tmp_path: Path, database_url: str
) -> None:
    with processes(tmp_path, database_url) as p:
        p.serve(workers=0)
        p.worker()
        dep_id = _create(p.url, 3)  # 3 VM-like servers and an application
        try:
            _wait_for("a half-made create", lambda: _in_the_middle(p.url, dep_id))
            p.kill("worker")
            p.worker()
            dep = wait_final(p.url, dep_id)
            assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
            _exactly_the_expected_containers(p.url, dep_id, 4)

            r = httpx.put(
                f"{p.url}/deployments/{dep_id}", headers=auth(p.url), json={"parameters": {"n": 5}}
            )
            assert r.status_code == 202, r.text
            _wait_for("a half-made update", lambda: _in_the_middle(p.url, dep_id))
            p.kill("worker")
            p.worker()
            dep = wait_final(p.url, dep_id)
            assert dep["status"] == "UPDATE_COMPLETE", dep.get("statusReason")
            _exactly_the_expected_containers(p.url, dep_id, 6)

            assert (
                httpx.delete(f"{p.url}/deployments/{dep_id}", headers=auth(p.url)).status_code
                == 204
            )
            # Kill once the first container is removed and before the last one is.
            _wait_for("a delete under way", lambda: len(containers_of(dep_id)) < 6, timeout=30)
            p.kill("worker")
            p.worker()
            _wait_for(
                "the deployment gone",
                lambda: (
                    httpx.get(f"{p.url}/deployments/{dep_id}", headers=auth(p.url)).status_code
                    == 404
                ),
            )
            assert containers_of(dep_id) == []
        finally:
            if "worker" not in p.procs:
                p.worker()
            if not _gone(p.url, dep_id):
                _delete_all(p.url, dep_id)


def test_the_whole_server_killed_during_a_create(
    docker_ready: None, tmp_path: Path, database_url: str
) -> None:
    with processes(tmp_path, database_url) as p:
        p.serve(workers=2)
        dep_id = _create(p.url, 3)
        try:
            _wait_for("a half-made create", lambda: _in_the_middle(p.url, dep_id))
            p.kill("serve")
            p.serve(workers=2)  # same data dir, database and port
            dep = wait_final(p.url, dep_id)
            assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
            _exactly_the_expected_containers(p.url, dep_id, 4)
            log = httpx.get(f"{p.url}/deployments/{dep_id}/log", headers=auth(p.url)).text
            assert "resuming attempt 1 on site local" in log
        finally:
            if "serve" not in p.procs:
                p.serve(workers=2)
            _delete_all(p.url, dep_id)
