"""Who may do what, asserted in full: owner, same group, other group, admin, anonymous.

A deployment of alice's in group ``physics``; every endpoint called by each
kind of caller with real accounts and real API tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cumulo import catalogue
from cumulo.auth.api_tokens import revoke_token, token_id_of
from cumulo.engine.runtime import Engine
from cumulo.store.account_models import ApiToken, AuditEvent
from cumulo.store.db import utcnow

ROLES = ("owner", "same_group", "other_group", "admin", "anonymous")
READS = ("show", "template", "log", "resources", "resource")
# role -> expected status of every read, of DELETE, and whether the list shows it
EXPECTED = {
    "owner": (200, 204, True),
    "same_group": (200, 403, True),
    "other_group": (404, 404, False),
    "admin": (200, 204, True),
    "anonymous": (401, 401, None),
}


@pytest.fixture
def world(
    engine: Engine,
    client: TestClient,
    make_user: Callable,
    make_deployments: Callable[..., list[str]],
    add_resource: Callable[..., str],
) -> dict:
    client.headers.pop("Authorization")
    users = {
        "owner": make_user("alice", groups=("physics",)),
        "same_group": make_user("bob", groups=("physics", "astro")),
        "other_group": make_user("carol", groups=("chemistry",)),
        "admin": make_user("root", admin=True),
    }
    (dep_id,) = make_deployments(1, subject="alice", group="physics")
    rid = add_resource(dep_id, "app", "tosca.nodes.Compute")
    headers = {role: u.headers for role, u in users.items()} | {"anonymous": {}}
    return {"dep": dep_id, "rid": rid, "headers": headers, "users": users}


def _read(client: TestClient, what: str, dep: str, rid: str, headers: dict) -> int:
    path = {
        "show": f"/deployments/{dep}",
        "template": f"/deployments/{dep}/template",
        "log": f"/deployments/{dep}/log",
        "resources": f"/deployments/{dep}/resources",
        "resource": f"/deployments/{dep}/resources/{rid}",
    }[what]
    return client.get(path, headers=headers).status_code


@pytest.mark.parametrize("role", ROLES)
def test_matrix(client: TestClient, world: dict, role: str) -> None:
    read_status, delete_status, listed = EXPECTED[role]
    dep, rid, headers = world["dep"], world["rid"], world["headers"][role]
    assert {w: _read(client, w, dep, rid, headers) for w in READS} == dict.fromkeys(
        READS, read_status
    )
    r = client.get("/deployments", headers=headers)
    if listed is None:
        assert r.status_code == 401
    else:
        assert r.status_code == 200
        assert (dep in [d["uuid"] for d in r.json()["content"]]) is listed
    r = client.delete(f"/deployments/{dep}", headers=headers)
    assert r.status_code == delete_status, r.text
    if delete_status == 403:
        assert r.json()["message"] == "Only the owner of the deployment can perform this operation"
    if delete_status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def test_user_group_must_be_one_of_the_callers(client: TestClient, world: dict) -> None:
    template = catalogue.find("run-docker").read_text()
    body = {"template": template, "parameters": {"docker_image": "cumulo/httpd"}}
    alice = world["headers"]["owner"]
    r = client.post("/deployments", json={**body, "userGroup": "chemistry"}, headers=alice)
    assert r.status_code == 403 and "chemistry" in r.json()["message"]
    r = client.post("/deployments", json={**body, "userGroup": "physics"}, headers=alice)
    assert r.status_code == 201
    assert r.json()["createdBy"] == {"issuer": "cumulo-local", "subject": "alice"}
    assert client.post("/deployments", json=body).status_code == 401
    # createdBy=me is the caller's own; carol sees neither of alice's.
    carol = world["headers"]["other_group"]
    mine = client.get("/deployments", params={"createdBy": "me"}, headers=alice).json()
    assert mine["page"]["totalElements"] == 2
    assert client.get("/deployments", headers=carol).json()["page"]["totalElements"] == 0


def test_revoked_expired_and_forged_tokens_are_refused(
    engine: Engine, client: TestClient, world: dict
) -> None:
    alice = world["users"]["owner"]
    assert client.get("/deployments", headers=alice.headers).status_code == 200
    forged = alice.token[:-6] + "AAAAAA"
    for bad in (forged, "cml_nope_x", "not-a-token", "a.b.c"):
        r = client.get("/deployments", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad
    r = client.get("/deployments", headers={"Authorization": f"Basic {alice.token}"})
    assert r.status_code == 401
    with engine.db.session() as s:
        s.get(ApiToken, token_id_of(alice.token)).expires_at = utcnow() - timedelta(seconds=1)
    r = client.get("/deployments", headers=alice.headers)
    assert r.status_code == 401 and "expired" in r.json()["message"]
    bob = world["users"]["same_group"]
    with engine.db.session() as s:
        assert revoke_token(s, None, token_id_of(bob.token))
    assert client.get("/deployments", headers=bob.headers).status_code == 401


def test_creations_and_deletions_are_audited(client: TestClient, world: dict, engine) -> None:
    dep = world["dep"]
    admin = world["headers"]["admin"]
    assert client.delete(f"/deployments/{dep}", headers=admin).status_code == 204
    with engine.db.session() as s:
        events = [(e.actor, e.action, e.target) for e in s.query(AuditEvent)]
    assert ("root@cumulo-local", "deployment-delete", dep) in events
