"""The transition table: what may follow what, and the events a change records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cumulo.engine.states import (
    CONFIGURE_PATH,
    DEPLOYMENT_TRANSITIONS,
    RESOURCE_TRANSITIONS,
    NodeState,
    Status,
    advance,
    set_deployment_status,
    set_resource_state,
)
from cumulo.errors import Conflict, InvalidTransition
from cumulo.store import Database
from cumulo.store.models import Deployment, Event, Resource


def test_every_status_has_a_row_and_only_known_targets() -> None:
    assert set(DEPLOYMENT_TRANSITIONS) == {None, *Status}
    assert set(RESOURCE_TRANSITIONS) == set(NodeState)
    for targets in DEPLOYMENT_TRANSITIONS.values():
        assert targets <= set(Status)


def test_create_path_and_delete_from_everywhere_but_delete() -> None:
    assert DEPLOYMENT_TRANSITIONS[None] == {Status.CREATE_IN_PROGRESS}
    assert Status.CREATE_COMPLETE in DEPLOYMENT_TRANSITIONS[Status.CREATE_IN_PROGRESS]
    for status in Status:
        allowed = Status.DELETE_IN_PROGRESS in DEPLOYMENT_TRANSITIONS[status]
        assert allowed == (status not in (Status.DELETE_IN_PROGRESS, Status.DELETE_COMPLETE))
    assert DEPLOYMENT_TRANSITIONS[Status.DELETE_COMPLETE] == frozenset()


def test_update_only_from_a_settled_create_or_update() -> None:
    sources = {s for s, t in DEPLOYMENT_TRANSITIONS.items() if Status.UPDATE_IN_PROGRESS in t}
    assert sources == {Status.CREATE_COMPLETE, Status.UPDATE_COMPLETE, Status.UPDATE_FAILED}


def _dep(db: Database, status: str | None) -> Deployment:
    with db.session() as s:
        dep = Deployment(status=status or "", template="t", owner_issuer="i", owner_subject="s")
        dep.status = status  # type: ignore[assignment]
        s.add(dep)
        if status is None:
            set_deployment_status(s, dep, Status.CREATE_IN_PROGRESS)
    return dep


def test_a_change_is_stamped_versioned_and_recorded(db: Database) -> None:
    dep = _dep(db, None)
    with db.session() as s:
        d = s.get(Deployment, dep.id)
        assert d is not None
        before, version = d.updated_at, d.version
        set_deployment_status(s, d, Status.CREATE_FAILED, "node x: boom")
    with db.session() as s:
        d = s.get(Deployment, dep.id)
        assert d is not None
        assert (d.status, d.status_reason) == ("CREATE_FAILED", "node x: boom")
        assert d.version == version + 1 and d.updated_at >= before
        messages = [e.message for e in s.scalars(select(Event).order_by(Event.id))]
    assert messages == [
        "status CREATE_IN_PROGRESS",
        "status CREATE_IN_PROGRESS -> CREATE_FAILED: node x: boom",
    ]


def test_a_forbidden_change_raises_a_conflict_and_changes_nothing(db: Database) -> None:
    dep = _dep(db, "CREATE_FAILED")
    with pytest.raises(InvalidTransition) as err, db.session() as s:
        d = s.get(Deployment, dep.id)
        assert d is not None
        set_deployment_status(s, d, Status.UPDATE_IN_PROGRESS)
    assert isinstance(err.value, Conflict) and err.value.http_status == 409
    with db.session() as s:
        assert s.get(Deployment, dep.id).status == "CREATE_FAILED"  # type: ignore[union-attr]


def test_deleting_twice_gives_indigos_message(db: Database) -> None:
    dep = _dep(db, "DELETE_IN_PROGRESS")
    message = r"^Deployment already in DELETE_IN_PROGRESS state\.$"
    with pytest.raises(InvalidTransition, match=message), db.session() as s:
        d = s.get(Deployment, dep.id)
        assert d is not None
        set_deployment_status(s, d, Status.DELETE_IN_PROGRESS)


def test_resource_states_follow_the_table(db: Database) -> None:
    dep = _dep(db, None)
    with db.session() as s:
        res = Resource(deployment_id=dep.id, node_name="n", node_type="T", state="INITIAL")
        s.add(res)
        for state in (
            NodeState.CREATING,
            NodeState.CREATED,
            NodeState.CONFIGURING,
            NodeState.CONFIGURED,
        ):
            set_resource_state(s, res, state)
        with pytest.raises(InvalidTransition):
            set_resource_state(s, res, NodeState.CREATING)
        set_resource_state(s, res, NodeState.ERROR)
        kinds = [e.kind for e in s.scalars(select(Event).where(Event.kind == "resource"))]
    assert len(kinds) == 5


def test_advance_walks_the_path_and_never_repeats_a_step(db: Database) -> None:
    dep = _dep(db, None)
    with db.session() as s:
        res = Resource(deployment_id=dep.id, node_name="n", node_type="T", state="INITIAL")
        s.add(res)
        advance(s, res, NodeState.CREATED)
        assert res.state == "CREATED"
        advance(s, res, NodeState.CREATING)  # already past: a takeover repeats nothing
        assert res.state == "CREATED"
        advance(s, res, NodeState.CONFIGURED)
        set_resource_state(s, res, NodeState.ERROR)
        advance(s, res, NodeState.CONFIGURED, CONFIGURE_PATH)  # a new attempt starts over
        steps = [e.message for e in s.scalars(select(Event).where(Event.kind == "resource"))]
    assert steps == [
        "INITIAL -> CREATING", "CREATING -> CREATED", "CREATED -> CONFIGURING",
        "CONFIGURING -> CONFIGURED", "CONFIGURED -> ERROR", "ERROR -> INITIAL",
        "INITIAL -> CONFIGURING", "CONFIGURING -> CONFIGURED",
    ]  # fmt: skip
