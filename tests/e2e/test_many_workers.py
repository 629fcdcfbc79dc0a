"""Several processes on one PostgreSQL: 2 API processes and 3 worker processes run 50
concurrent deployments (all finish, every job runs once), and PostgreSQL restarted
under running deployments (the workers reconnect and carry on).

Always on PostgreSQL (Debian's server, started here), so skipped in the
PostgreSQL pass of ``scripts/test``, which would only repeat it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from e2e_helpers import (
    auth,
    catalogue_template,
    containers_of,
    cumulo_env,
    running,
    serving,
)
from sqlalchemy import select

from cumulo.store import Database
from cumulo.store.models import Job
from cumulo.store.pg_cluster import PgCluster, unavailable

pytestmark = pytest.mark.e2e

APP = {"docker_image": "cumulo/httpd", "docker_tag": "1"}


@pytest.fixture
def own_pg() -> Iterator[PgCluster]:
    if os.environ.get("CUMULO_TEST_DATABASE") == "postgresql":
        pytest.skip("always on PostgreSQL: already run in the first pass")
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    cluster = PgCluster.start()
    yield cluster
    cluster.stop()


def _wait_started(log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while "cumulo worker:" not in (log.read_text() if log.exists() else ""):
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


def _create_many(urls: list[str], n: int) -> list[str]:
    template = catalogue_template("run-docker")

    def create(i: int) -> str:
        body = {"template": template, "parameters": APP}
        r = httpx.post(
            f"{urls[i % len(urls)]}/deployments",
            headers=auth(urls[i % len(urls)]),
            json=body,
            timeout=60,
        )
        assert r.status_code == 201, r.text
        return r.json()["uuid"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(create, range(n)))


def _statuses(url: str, ids: list[str]) -> dict[str, str]:
    out = {}
    for dep_id in ids:
        try:
            r = httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10)
        except httpx.HTTPError:
            out[dep_id] = "UNREACHABLE"
            continue
        out[dep_id] = r.json().get("status", "GONE") if r.status_code == 200 else str(r.status_code)
    return out


def _wait_all(url: str, ids: list[str], wanted: set[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = _statuses(url, ids)
        if all(s in wanted for s in statuses.values()):
            return statuses
        if time.monotonic() > deadline:
            pytest.fail(f"not all in {wanted} after {timeout} s: {sorted(statuses.values())}")
        time.sleep(0.5)


def _clean(url: str, ids: list[str]) -> None:
    for dep_id in ids:
        httpx.delete(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10)
    _wait_all(url, ids, {"404"}, 180)
    for dep_id in ids:
        if containers_of(dep_id):  # never expected; never leave any behind either
            subprocess.run(["docker", "rm", "-f", *containers_of(dep_id)], capture_output=True)


def test_two_apis_and_three_workers_run_fifty_deployments_each_job_once(
    docker_ready: None, own_pg: PgCluster, tmp_path: Path
) -> None:
    url_db = own_pg.create_database()
    env = cumulo_env(url_db, job_poll_seconds="0.2")
    ids: list[str] = []
    with ExitStack() as stack:
        apis = [
            stack.enter_context(serving(tmp_path / f"api{i}", "--workers", "0", env=env))
            for i in range(2)
            if (tmp_path / f"api{i}").mkdir() is None
        ]
        for i in range(3):
            args = ["worker", "--workers", "2", "--data-dir", str(tmp_path / "api0")]
            stack.enter_context(running(args, tmp_path / f"worker{i}.log", env))
        for i in range(3):
            _wait_started(tmp_path / f"worker{i}.log")
        try:
            ids = _create_many(apis, 50)
            statuses = _wait_all(apis[1], ids, {"CREATE_COMPLETE", "CREATE_FAILED"}, 300)
            failed = [d for d, s in statuses.items() if s != "CREATE_COMPLETE"]
            reasons = {
                httpx.get(f"{apis[1]}/deployments/{d}", headers=auth(apis[1]), timeout=10)
                .json()
                .get("statusReason")
                for d in failed
            }
            assert not failed, f"{len(failed)} failed: {reasons}"
            assert all(len(containers_of(d)) == 1 for d in ids)
            for i, dep_id in enumerate(ids):
                assert (
                    httpx.delete(
                        f"{apis[i % 2]}/deployments/{dep_id}", headers=auth(apis[i % 2])
                    ).status_code
                    == 204
                )
            _wait_all(apis[0], ids, {"404"}, 300)
            assert all(containers_of(d) == [] for d in ids)
        finally:
            if ids and any(containers_of(d) for d in ids):
                _clean(apis[0], ids)
    db = Database(url_db)
    try:
        with db.session() as s:
            jobs = s.scalars(select(Job).where(Job.deployment_id.in_(ids))).all()
            assert len(jobs) == 100  # a deploy and a delete each
            assert {(j.status, j.tries) for j in jobs} == {("DONE", 1)}  # each ran once
            processes = {(j.lease_owner or "").split(":")[1] for j in jobs}
    finally:
        db.dispose()
    assert len(processes) == 3  # the three worker processes shared the work


def test_postgresql_restarted_under_running_deployments(
    docker_ready: None, own_pg: PgCluster, tmp_path: Path
) -> None:
    env = cumulo_env(own_pg.create_database(), job_poll_seconds="0.2", job_lease_seconds="5")
    template = catalogue_template("vm")
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    params = {"ssh_public_key": key.with_suffix(".pub").read_text()}
    ids: list[str] = []
    with ExitStack() as stack:
        url = stack.enter_context(serving(tmp_path, "--workers", "0", env=env))
        for i in range(2):
            args = ["worker", "--workers", "2", "--data-dir", str(tmp_path)]
            stack.enter_context(running(args, tmp_path / f"worker{i}.log", env))
            _wait_started(tmp_path / f"worker{i}.log")
        try:
            for _ in range(6):
                body = {"template": template, "parameters": params}
                r = httpx.post(f"{url}/deployments", headers=auth(url), json=body, timeout=60)
                assert r.status_code == 201, r.text
                ids.append(r.json()["uuid"])
            time.sleep(1.0)  # VM-like nodes are being made
            own_pg.restart(down_seconds=3)
            statuses = _wait_all(url, ids, {"CREATE_COMPLETE", "CREATE_FAILED"}, 240)
            assert set(statuses.values()) == {"CREATE_COMPLETE"}, statuses
            assert all(len(containers_of(d)) == 1 for d in ids)
        finally:
            _clean(url, ids)
        log = "".join((tmp_path / f"worker{i}.log").read_text() for i in range(2))
        assert "Traceback" not in log or "the database went away" in log
