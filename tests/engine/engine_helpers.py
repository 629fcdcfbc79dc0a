"""Helpers of the engine tests that drive the real Docker engine in-process."""

from __future__ import annotations

import subprocess
import threading
import time
from typing import Any

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.jobs.queue import ClaimedJob, JobStatus
from cumulo.engine.jobs.worker import run_job
from cumulo.engine.requests.deployments import NewDeployment, create_deployment
from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment


def labelled(dep_id: str) -> list[str]:
    """Ids of the containers labelled with the deployment, whatever their state."""
    out = subprocess.run(
        ["docker", "ps", "-aq", "--no-trunc", "--filter", f"label=cumulo.deployment={dep_id}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.split()


def catalogue_deployment(
    engine: Engine, name: str, params: dict[str, Any], **options: Any
) -> Deployment:
    """A deployment of a catalogue template, created through the engine service (job queued)."""
    path = catalogue.find(name)
    assert path is not None
    new = NewDeployment(path.read_text(), params, **options)
    return create_deployment(engine, new, LOCAL_ADMIN)


def run_docker(engine: Engine, params: dict[str, Any], **options: Any) -> Deployment:
    """A "Run docker" deployment created through the engine service (its job queued)."""
    return catalogue_deployment(engine, "run-docker", params, **options)


# An application whose published port never gets a listener: it never becomes ready.
NEVER_READY = {
    "docker_image": "cumulo/httpd", "docker_tag": "1",
    "docker_command": "sleep 3600", "docker_ports": [8080],
}  # fmt: skip


def run_to_end(engine: Engine, job: ClaimedJob, owner: str, patience: float = 120.0) -> None:
    """Run ``job`` until it is done: a job that parks (waits for a node) is claimed again when
    due, as a worker would, and so is any job that goes first meanwhile (e.g. a delete)."""
    run_job(engine, job, owner)
    end = time.monotonic() + patience
    while (row := engine.queue.get(job.id)) is not None and row.status == JobStatus.PENDING:
        assert time.monotonic() < end, f"job {job.id} still waits for {row.deployment_id}"
        again = engine.queue.claim(owner)
        if again is None:
            time.sleep(0.05)
            continue
        run_job(engine, again, owner)


def run_next_job(engine: Engine, owner: str = "test") -> None:
    job = engine.queue.claim(owner)
    assert job is not None
    run_to_end(engine, job, owner)


def in_background(engine: Engine, owner: str = "test") -> threading.Thread:
    """Claim and run the next job to its end in a thread (the test drives what happens)."""
    job = engine.queue.claim(owner)
    assert job is not None
    thread = threading.Thread(target=run_to_end, args=(engine, job, owner), daemon=True)
    thread.start()
    return thread
