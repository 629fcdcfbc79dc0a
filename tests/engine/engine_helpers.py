"""Helpers of the engine tests that drive the real Docker engine in-process."""

from __future__ import annotations

import subprocess
import threading
from typing import Any

from cumulo import catalogue
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.runtime import Engine
from cumulo.engine.services import NewDeployment, create_deployment
from cumulo.engine.worker import run_job
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


def run_next_job(engine: Engine, owner: str = "test") -> None:
    job = engine.queue.claim(owner)
    assert job is not None
    run_job(engine, job, owner)


def in_background(engine: Engine, owner: str = "test") -> threading.Thread:
    """Claim and run the next job in a thread (the test drives what happens meanwhile)."""
    job = engine.queue.claim(owner)
    assert job is not None
    thread = threading.Thread(target=run_job, args=(engine, job, owner), daemon=True)
    thread.start()
    return thread
