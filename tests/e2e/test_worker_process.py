"""``cumulo serve --workers 0`` plus a separate ``cumulo worker`` on the same database."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from e2e_helpers import (
    auth,
    containers_of,
    create_deployment,
    cumulo_env,
    delete_and_wait_gone,
    running,
    serving,
    wait_final,
)

pytestmark = pytest.mark.e2e


def test_a_separate_worker_process_runs_the_jobs(
    docker_ready: None, tmp_path: Path, database_url: str
) -> None:
    env = cumulo_env(database_url)
    with serving(tmp_path, "--workers", "0", env=env) as url:
        params = {"docker_image": "cumulo/httpd", "docker_tag": "1"}
        dep_id = create_deployment(url, "run-docker", params)
        # No worker yet: the job waits in the database.
        assert (
            httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url)).json()["status"]
            == "CREATE_IN_PROGRESS"
        )
        worker_log = tmp_path / "worker.log"
        with running(["worker", "--workers", "1", "--data-dir", str(tmp_path)], worker_log, env):
            dep = wait_final(url, dep_id, timeout=60)
            assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
            assert len(containers_of(dep_id)) == 1
            delete_and_wait_gone(url, dep_id)
        assert containers_of(dep_id) == []
