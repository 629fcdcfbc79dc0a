"""Timeouts, keepLastAttempt and a delete during a create, on the real Docker engine.

The node never becomes ready (its published port gets no listener). Timeouts
are instants derived from stored timestamps, so the tests move the job's
queueing time (or the attempt's start) back instead of waiting minutes.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from engine_helpers import NEVER_READY, in_background, labelled, run_docker, run_next_job
from sqlalchemy import select

from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.requests.deployments import request_delete
from cumulo.engine.runtime import Engine
from cumulo.store.db import utcnow
from cumulo.store.models import Attempt, Deployment, Job, Resource

pytestmark = pytest.mark.e2e


def _backdate_job(engine: Engine, dep_id: str, seconds: float) -> None:
    with engine.db.session() as s:
        job = s.scalars(select(Job).where(Job.deployment_id == dep_id)).one()
        job.created_at = job.created_at - timedelta(seconds=seconds)


def _delete(engine: Engine, dep_id: str) -> None:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        status = dep.status if dep else None
    if status is not None and status != "DELETE_IN_PROGRESS":
        request_delete(engine, dep_id, LOCAL_ADMIN)
    run_next_job(engine, "cleaner")
    assert labelled(dep_id) == []


def test_a_node_never_ready_fails_at_the_overall_timeout_and_is_cleaned_up(
    engine: Engine,
) -> None:
    dep = run_docker(engine, NEVER_READY, timeout_mins=1)
    try:
        _backdate_job(engine, dep.id, 57)  # about 3 s of the minute left
        started = time.monotonic()
        run_next_job(engine)
        assert time.monotonic() - started < 30
        with engine.db.session() as s:
            got = s.get(Deployment, dep.id)
            assert got is not None and got.status == "CREATE_FAILED"
            assert "timeoutMins" in (got.status_reason or ""), got.status_reason
            assert "app[0]" in (got.status_reason or "")
            (attempt,) = s.scalars(select(Attempt).where(Attempt.deployment_id == dep.id))
            assert attempt.status == "FAILED" and "timeoutMins" in (attempt.error or "")
        assert labelled(dep.id) == []  # cleaned up
    finally:
        _delete(engine, dep.id)


def test_the_provider_timeout_runs_from_the_attempt_start_even_after_a_takeover(
    engine: Engine,
) -> None:
    dep = run_docker(engine, NEVER_READY, timeout_mins=60, provider_timeout_mins=1)
    try:
        # A dead worker had opened the attempt 57 s ago; the job resumes it.
        with engine.db.session() as s:
            started = utcnow() - timedelta(seconds=57)
            s.add(Attempt(deployment_id=dep.id, number=1, site_name="local", started_at=started))
        run_next_job(engine)
        with engine.db.session() as s:
            got = s.get(Deployment, dep.id)
            assert got is not None and got.status == "CREATE_FAILED"
            reason = got.status_reason or ""
            assert "providerTimeoutMins" in reason and "site local" in reason, reason
            assert len(s.scalars(select(Attempt).where(Attempt.deployment_id == dep.id)).all()) == 1
        assert labelled(dep.id) == []
    finally:
        _delete(engine, dep.id)


def test_keep_last_attempt_keeps_the_failed_container_and_shows_its_outputs(
    engine: Engine,
) -> None:
    dep = run_docker(engine, NEVER_READY, timeout_mins=1, keep_last_attempt=True)
    try:
        _backdate_job(engine, dep.id, 57)
        run_next_job(engine)
        with engine.db.session() as s:
            got = s.get(Deployment, dep.id)
            assert got is not None and got.status == "CREATE_FAILED"
            assert "timeoutMins" in (got.status_reason or "")
            # The failed node's published port is shown, so it can be reached and debugged.
            ports = got.outputs.get("ports")
            assert ports and "8080/tcp" in ports, got.outputs
            (res,) = s.scalars(select(Resource).where(Resource.deployment_id == dep.id))
            assert res.state == "ERROR" and res.physical_id
            kept = res.physical_id
        assert labelled(dep.id) == [kept]
    finally:
        _delete(engine, dep.id)
    with engine.db.session() as s:
        assert s.get(Deployment, dep.id) is None


def test_a_delete_during_a_create_cancels_it_and_leaves_nothing(engine: Engine) -> None:
    dep = run_docker(engine, NEVER_READY)  # 30 minutes of provider timeout by default
    thread = in_background(engine)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not labelled(dep.id):
            time.sleep(0.05)
        assert labelled(dep.id), "the create never made its container"
        request_delete(engine, dep.id, LOCAL_ADMIN)
        thread.join(20)  # the wait is interrupted, not left to its 30 minutes
        assert not thread.is_alive()
        run_next_job(engine, "deleter")
        with engine.db.session() as s:
            assert s.get(Deployment, dep.id) is None
        assert labelled(dep.id) == []
    finally:
        thread.join(60)
        with engine.db.session() as s:
            left = s.get(Deployment, dep.id) is not None
        if left:
            _delete(engine, dep.id)
