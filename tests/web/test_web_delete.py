"""Deleting as users expect: no force or reset until a delete is stuck, a delete from a
list stays on it, and a deleted deployment's page says it is deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_web_changes import created
from test_web_pages import store

from cumulo.auth.identity import Identity
from cumulo.store.models import Deployment
from cumulo.web.deleting import deleted_of, return_path


def actions(page: str) -> str:
    return page[page.index('aria-label="Actions"') : page.index('class="tabs"')]


def test_a_normal_delete_offers_no_force_nor_reset(client, engine):
    for status in ("CREATE_COMPLETE", "CREATE_FAILED", "UPDATE_FAILED"):
        shown = actions(client.get(f"/ui/deployments/{store(engine, status=status)}").text)
        assert ">Delete</button>" in shown, status
        assert "Force delete" not in shown and "Reset" not in shown, status

    deleting = store(engine, status="DELETE_IN_PROGRESS")
    page = client.get(f"/ui/deployments/{deleting}").text
    shown = actions(page)
    assert "Force delete" not in shown and "Reset" not in shown and ">Delete<" not in shown
    assert "Deleting: the page follows it" in shown
    assert 'id="tab-update"' not in page  # nothing to update on a deployment being deleted

    failed = actions(client.get(f"/ui/deployments/{store(engine, status='DELETE_FAILED')}").text)
    assert "Delete again" in failed and "Force delete" in failed


def test_a_stuck_delete_offers_force_and_reset(client, engine):
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    dep_id = store(engine, status="DELETE_IN_PROGRESS", updated_at=long_ago)
    shown = actions(client.get(f"/ui/deployments/{dep_id}").text)
    assert "may be stuck" in shown
    assert "Force delete" in shown and "Reset the stuck delete" in shown


def test_a_running_attempt_cut_short_by_a_delete_shows_stopped(client, engine):
    from cumulo.store.models import Attempt

    dep_id = store(engine, status="DELETE_IN_PROGRESS")
    with engine.db.session() as s:
        s.add(Attempt(deployment_id=dep_id, number=1, site_name="local", status="RUNNING"))
    page = client.get(f"/ui/deployments/{dep_id}").text
    assert ">stopped</span>" in page and ">running</span>" not in page


def test_deleting_from_the_list_stays_on_the_list(client, engine):
    dep_id = created(client, engine)
    listing = client.get("/ui/deployments?q=&page=0&size=25").text
    assert 'name="next" value="/ui/deployments?q=&amp;page=0&amp;size=25"' in listing
    r = client.post(f"/ui/deployments/{dep_id}/delete",
                    data={"next": "/ui/deployments?q=&page=0&size=25"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/deployments?q=&page=0&size=25&done=delete"
    shown = client.get(r.headers["location"]).text
    assert "Deletion requested" in shown and dep_id in shown


def test_a_delete_never_returns_elsewhere():
    assert return_path("https://evil.example/ui/deployments", "delete") is None
    assert return_path("//evil.example/ui/deployments", "delete") is None
    assert return_path("/ui/keys", "delete") is None
    assert return_path("/ui/admin/deployments?done=x", "delete") == (
        "/ui/admin/deployments?done=delete"
    )


def test_a_deleted_deployments_page_says_it_is_deleted_to_its_owner_only(client, engine):
    dep_id = created(client, engine)
    client.post(f"/ui/deployments/{dep_id}/delete")
    with engine.db.session() as s:  # as the delete job ends: the row is gone
        s.delete(s.get(Deployment, dep_id))
    r = client.get(f"/ui/deployments/{dep_id}")
    assert r.status_code == 410
    assert "Deployment deleted" in r.text and "was deleted on" in r.text
    assert f"/ui/deployments/{dep_id}/" not in r.text  # no action on it is offered
    assert 'role="tab"' not in r.text  # nor an Update tab

    stranger = Identity(issuer="cumulo-local", subject="mallory")
    with engine.db.session() as s:
        assert deleted_of(s, dep_id, stranger) is None
    assert client.get("/ui/deployments/00000000-0000-0000-0000-000000000000").status_code == 404
