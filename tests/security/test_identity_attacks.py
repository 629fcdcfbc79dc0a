"""Identity attacks by ``mallory`` on the shared site's dashboard: no existence oracle for other
users' deployments, and a logged-out session cookie is worth nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from attack_site import SharedSite
from dashboard_client import SESSION_COOKIE, csrf_of, dashboard_login

pytestmark = pytest.mark.e2e

TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    nothing:
      type: tosca.nodes.Root
"""
# Every dashboard route that takes a deployment id (GET pages, POST forms).
PAGES = ("", "/stream")
FORMS = ("/delete", "/lock", "/retry", "/update", "/force-delete", "/reset",
         "/resources/r-1/stop")  # fmt: skip


def _answers(c: httpx.Client, dep_id: str, csrf: str) -> dict[str, tuple[int, str]]:
    """Each route's status and body, the id itself blanked (it is in the message)."""
    out = {}
    for path in PAGES:
        r = c.get(f"/ui/deployments/{dep_id}{path}")
        out[path] = (r.status_code, r.text.replace(dep_id, "ID"))
    for path in FORMS:
        r = c.post(f"/ui/deployments/{dep_id}{path}", data={"csrf": csrf, "locked": "1"})
        out[path] = (r.status_code, r.text.replace(dep_id, "ID"))
    return out


def test_dashboard_answers_alike_for_others_and_unknown_deployments(
    shared_site: SharedSite,
) -> None:
    """12a: 404 with the same body, whether alice's deployment exists or the id is made up."""
    r = shared_site.post("alice", TEMPLATE)
    assert r.status_code == 201, r.text
    alices = r.json()["uuid"]
    try:
        with dashboard_login(shared_site, "mallory") as c:
            csrf = csrf_of(c)
            hers = _answers(c, alices, csrf)
            unknown = _answers(c, str(uuid.uuid4()), csrf)
        for path, (status, body) in hers.items():
            assert status == 404, (path, status, body[:300])
            assert (status, body) == unknown[path], path
            assert "The deployment &lt;ID&gt; doesn&#39;t exist" in body, body[-600:]
        # alice's deployment is untouched by mallory's forms.
        body = shared_site.get("alice", f"/deployments/{alices}").json()
        assert body["status"] not in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE")
    finally:
        shared_site.remove("alice", alices)


def test_logout_ends_the_session_for_every_copy_of_the_cookie(shared_site: SharedSite) -> None:
    """12b: mallory's cookie, copied before logout (or stolen), is refused after it."""
    with dashboard_login(shared_site, "mallory") as c:
        copy = c.cookies.get(SESSION_COOKIE)
        assert copy
        r = c.post("/ui/logout", data={"csrf": csrf_of(c)})
        assert r.status_code == 303
    with httpx.Client(base_url=shared_site.url, timeout=30) as thief:
        thief.cookies.set(SESSION_COOKIE, copy)
        r = thief.get("/ui/deployments")
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")
        r = thief.post("/ui/keys", data={"name": "k", "public_key": "x"})
        assert r.status_code in (303, 401, 403), r.text[:300]
