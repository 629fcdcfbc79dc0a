"""GET /deployments: paging contract (links, page object), filters, order, field names."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\+0000$")


def _links(body: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in body["links"]}


def test_an_empty_list_has_first_self_last_and_a_page(client: TestClient) -> None:
    body = client.get("/deployments").json()
    assert body["content"] == []
    assert body["page"] == {"size": 10, "totalElements": 0, "totalPages": 0, "number": 0}
    links = _links(body)
    assert set(links) == {"first", "self", "last"}
    assert links["self"] == links["last"]


def test_pages_are_newest_first_with_prev_and_next(client: TestClient, make_deployments) -> None:
    ids = make_deployments(25)
    body = client.get("/deployments", params={"page": 1, "size": 10}).json()
    assert body["page"] == {"size": 10, "totalElements": 25, "totalPages": 3, "number": 1}
    assert [d["uuid"] for d in body["content"]] == list(reversed(ids))[10:20]
    links = _links(body)
    assert [link["rel"] for link in body["links"]] == ["first", "prev", "self", "next", "last"]
    for rel, page in (("first", "0"), ("prev", "0"), ("self", "1"), ("next", "2"), ("last", "2")):
        query = parse_qs(urlparse(links[rel]).query)
        assert query["page"] == [page] and query["size"] == ["10"], rel
    assert "sort=createdAt,desc" in links["self"]


def test_following_next_like_orchent_visits_every_deployment_once(
    client: TestClient, make_deployments
) -> None:
    ids = make_deployments(23)
    seen: list[str] = []
    url = "/deployments?size=5"
    for _ in range(10):
        body = client.get(url).json()
        seen += [d["uuid"] for d in body["content"]]
        links = _links(body)
        if links["self"] == links["last"]:
            break
        url = links["next"]
    assert seen == list(reversed(ids))


def test_deployment_fields_and_time_format(client: TestClient, make_deployments) -> None:
    (dep_id,) = make_deployments(1)
    (dep,) = client.get("/deployments").json()["content"]
    assert dep["uuid"] == dep_id
    assert dep["creationTime"] == "2026-01-01T00:00+0000"
    assert TIME.match(dep["updateTime"])
    assert dep["status"] == "CREATE_COMPLETE"
    assert dep["outputs"] == {"n": 0}
    assert dep["createdBy"] == {"issuer": "cumulo-local", "subject": "admin"}
    assert {link["rel"] for link in dep["links"]} == {"self", "resources", "template"}
    # Null fields are omitted, not sent as null.
    assert "statusReason" not in dep and "callback" not in dep and "physicalId" not in dep
    assert None not in dep.values()


def test_filters_created_by_and_user_group(client: TestClient, make_deployments) -> None:
    mine = make_deployments(3)
    theirs = make_deployments(2, subject="alice", group="phys")
    got = client.get("/deployments", params={"createdBy": "me"}).json()
    assert {d["uuid"] for d in got["content"]} == set(mine)
    got = client.get("/deployments", params={"createdBy": "alice@cumulo-local"}).json()
    assert {d["uuid"] for d in got["content"]} == set(theirs)
    assert "createdBy=alice@cumulo-local" in _links(got)["self"]
    got = client.get("/deployments", params={"userGroup": "phys"}).json()
    assert got["page"]["totalElements"] == 2


def test_sort_ascending(client: TestClient, make_deployments) -> None:
    ids = make_deployments(3)
    got = client.get("/deployments", params={"sort": "createdAt,asc"}).json()
    assert [d["uuid"] for d in got["content"]] == ids


def test_bad_paging_parameters_are_400_naming_the_parameter(client: TestClient) -> None:
    for params, word in (
        ({"page": "x"}, "page"),
        ({"page": -1}, "page"),
        ({"page": 10**30}, "page"),
        ({"size": 0}, "size"),
        ({"sort": "nope,desc"}, "sort"),
        ({"createdBy": "nobody"}, "createdBy"),
    ):
        r = client.get("/deployments", params=params)
        assert r.status_code == 400, params
        body = r.json()
        assert set(body) == {"code", "title", "message"}
        assert body["code"] == 400 and body["title"] == "Bad Request"
        assert word in body["message"]


def test_trailing_slashes_are_tolerated(client: TestClient, make_deployments) -> None:
    (dep_id,) = make_deployments(1)
    assert client.get("/deployments/").status_code == 200
    r = client.get(f"/deployments/{dep_id}/", follow_redirects=False)
    assert r.status_code == 200 and r.json()["uuid"] == dep_id
