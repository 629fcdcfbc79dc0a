"""``GET /catalogue`` and ``GET /catalogue/{name}``: visibility by group, reload, paging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.catalogue.catalogue_helpers import BROKEN, write_entry

from cumulo.auth.testing import ApiUser
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app

PRIVATE_META = "visibility: {type: private, groups: [cms]}\nlocked: [cms-students]\n"


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    folder = tmp_path / "site-catalogue"
    write_entry(folder, "cms-tool", "CMS tool", meta=PRIVATE_META)
    return folder


@pytest.fixture
def engine(tmp_path: Path, extra: Path) -> Iterator[Engine]:
    """The catalogue reads no database: one engine (SQLite) with an admin's folder."""
    eng = Engine(Settings(data_dir=tmp_path / "data", catalogue_dirs=str(extra)))
    yield eng
    eng.close()


@pytest.fixture
def app_client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(build_app(engine.settings, engine=engine, workers=0)) as c:
        yield c


def names(c: TestClient, user: ApiUser, **params: str) -> list[str]:
    r = c.get("/catalogue", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return [e["name"] for e in r.json()["content"]]


def test_the_list_has_each_card_and_a_link_to_it(app_client: TestClient, make_user) -> None:
    alice = make_user("alice", groups=("physics",))
    r = app_client.get("/catalogue", headers=alice.headers)
    body = r.json()
    cards = {e["name"]: e for e in body["content"]}
    assert {"vm", "run-docker", "docker-compose"} <= cards.keys()
    vm = cards["vm"]
    assert vm["display_name"] == "Virtual machine" and vm["icon"] == "vm" and vm["description"]
    assert vm["access"] == "open"
    assert cards["run-docker"]["tabs"] == ["Container", "Ports", "Resources"]
    assert vm["links"][0]["href"].endswith("/catalogue/vm")
    assert "template" not in vm and "issues" not in vm
    assert body["page"]["totalElements"] == len(cards)
    assert list(cards) == sorted(cards)


def test_visibility_and_locking_by_group(app_client: TestClient, make_user) -> None:
    outsider = make_user("olga", groups=("atlas",))
    member = make_user("carl", groups=("cms",))
    student = make_user("sue", groups=("cms-students", "atlas"))
    assert "cms-tool" not in names(app_client, outsider)
    assert "cms-tool" in names(app_client, member)
    assert "cms-tool" not in names(app_client, student)  # not in the private group
    r = app_client.get("/catalogue/cms-tool", headers=outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == 404
    assert app_client.get("/catalogue/cms-tool", headers=member.headers).json()["access"] == "open"
    both = make_user("bob", groups=("cms", "cms-students"))
    assert "cms-tool" in names(app_client, both)
    r = app_client.get("/catalogue", headers=both.headers, params={"userGroup": "cms-students"})
    assert "cms-tool" not in [e["name"] for e in r.json()["content"]]
    r = app_client.get("/catalogue/cms-tool", headers=both.headers, params={"userGroup": "cms"})
    assert r.json()["access"] == "open"
    r = app_client.get("/catalogue", headers=outsider.headers, params={"userGroup": "cms"})
    assert r.status_code == 403


def test_locked_entries_are_listed_as_locked(
    app_client: TestClient, make_user, extra: Path
) -> None:
    write_entry(extra, "course", "Course VM", meta="locked: [students]\n")
    student = make_user("sam", groups=("students",))
    r = app_client.get("/catalogue/course", headers=student.headers)
    assert r.status_code == 200 and r.json()["access"] == "locked"


def test_one_entry_has_its_template_and_form(app_client: TestClient, make_user) -> None:
    alice = make_user("alice", groups=("physics",))
    r = app_client.get("/catalogue/run-docker", headers=alice.headers)
    assert r.status_code == 200
    body = r.json()
    assert "tosca.nodes.indigo.dockerRun" in body["template"]
    assert body["tabs"] == ["Container", "Ports", "Resources"]
    inputs = {f["name"]: f for f in body["inputs"]}
    assert inputs["docker_image"]["label"] == "Image" and inputs["docker_image"]["required"]
    assert inputs["docker_image"]["tab"] == "Container"
    assert inputs["environment_variables"]["widget"] == "key_value"


def test_unknown_or_odd_names_are_404(app_client: TestClient, make_user) -> None:
    alice = make_user("alice")
    for name in ("no-such-service", "..%2Fvm", "vm.yaml", "%2Fetc%2Fpasswd"):
        r = app_client.get(f"/catalogue/{name}", headers=alice.headers)
        assert r.status_code == 404, name
    assert app_client.get("/catalogue").status_code == 401


def test_paging_like_the_deployments_list(app_client: TestClient, make_user) -> None:
    alice = make_user("alice")
    every = names(app_client, alice)
    r = app_client.get("/catalogue", headers=alice.headers, params={"size": 3, "page": 1})
    body = r.json()
    assert [e["name"] for e in body["content"]] == every[3:6]
    assert body["page"] == {"size": 3, "totalElements": len(every),
                            "totalPages": (len(every) + 2) // 3, "number": 1}  # fmt: skip
    rels = {link["rel"] for link in body["links"]}
    assert {"first", "prev", "self", "next", "last"} <= rels
    backwards = names(app_client, alice, sort="name,desc")
    assert backwards == every[::-1]
    r = app_client.get("/catalogue", headers=alice.headers, params={"sort": "icon"})
    assert r.status_code == 400


def test_entries_added_at_run_time_appear_and_broken_ones_only_to_admins(
    app_client: TestClient, make_user, admin_user: ApiUser, extra: Path
) -> None:
    alice = make_user("alice")
    assert "fresh" not in names(app_client, alice)
    write_entry(extra, "fresh", "Fresh service")
    write_entry(extra, "broken", text=BROKEN)
    assert "fresh" in names(app_client, alice)
    assert "broken" not in names(app_client, alice)
    assert "broken" not in names(app_client, admin_user)
    assert app_client.get("/catalogue/broken", headers=admin_user.headers).status_code == 404
    # Admins ask for everything: the broken entry, its folder and its located issue.
    r = app_client.get("/catalogue", headers=admin_user.headers, params={"all": "true"})
    by_name = {e["name"]: e for e in r.json()["content"]}
    assert by_name["broken"]["ok"] is False and by_name["broken"]["folder"] == str(extra)
    issue = next(i for i in by_name["broken"]["issues"] if i["severity"] == "error")
    assert (issue["file"], issue["line"], issue["column"]) == ("broken.yaml", 6, 13)
    assert by_name["vm"]["ok"] is True and by_name["vm"]["issues"] == []
    r = app_client.get("/catalogue", headers=alice.headers, params={"all": "true"})
    assert "broken" not in [e["name"] for e in r.json()["content"]]  # ignored for users
    assert "issues" not in r.json()["content"][0]
    # Fixed in place: offered again without a restart.
    write_entry(extra, "broken", "Fixed")
    assert "broken" in names(app_client, alice)


def test_a_later_folder_replaces_a_shipped_entry(
    app_client: TestClient, make_user, extra: Path
) -> None:
    write_entry(extra, "vm", "Our own VM", meta="visibility: {type: private, groups: [ops]}\n")
    ops = make_user("oscar", groups=("ops",))
    other = make_user("otto", groups=("physics",))
    assert "vm" not in names(app_client, other)
    r = app_client.get("/catalogue/vm", headers=ops.headers)
    assert r.json()["display_name"] == "Our own VM"
    assert "greeting" in [f["name"] for f in r.json()["inputs"]]
