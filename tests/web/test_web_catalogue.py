from fastapi.testclient import TestClient
from web_helpers import csrf_of

from cumulo.catalogue.visibility import access


def test_catalogue_shows_a_card_per_service(client: TestClient):
    r = client.get("/ui/catalogue")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Virtual machine" in r.text and "Run docker" in r.text
    assert 'href="/ui/catalogue/vm"' in r.text
    assert "icons/docker.svg" in r.text and "icons/vm.svg" in r.text
    assert 'class="ribbon"' in r.text  # run-docker's "new"


def test_catalogue_search_filters_on_the_server(client: TestClient):
    r = client.get("/ui/catalogue", params={"q": "docker"})
    assert "Run docker" in r.text and "Virtual machine" not in r.text
    r = client.get("/ui/catalogue", params={"q": "no such thing"})
    assert "No service matches" in r.text


def test_ui_root_redirects_to_the_catalogue(client: TestClient):
    r = client.get("/ui", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/catalogue"


def test_unknown_page_is_an_html_404_while_the_api_stays_json(client: TestClient, admin_user):
    r = client.get("/ui/nowhere")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    r = client.get("/deployments/nope", headers=admin_user.headers)
    assert r.status_code == 404 and r.json()["code"] == 404


def test_visibility_private_locked_public():
    private = {"visibility": {"type": "private", "groups": ["cms"], "groups_regex": "atlas-.*"}}
    assert access(private, None) == "hidden"
    assert access(private, "lhcb") == "hidden"
    assert access(private, "cms") == "open"
    assert access(private, "atlas-ops") == "open"
    assert access({"locked": ["students"]}, "students") == "locked"
    assert access({"visibility": {"type": "public"}}, "x") == "open"
    assert access({"visibility": {"type": "private", "groups_regex": "("}}, "x") == "hidden"


def test_switching_to_a_group_one_is_not_in_is_refused(client: TestClient):
    form = {"group": "strangers", "next": "/ui/catalogue", "csrf": csrf_of(client)}
    r = client.post("/ui/group", data=form)
    assert r.status_code == 403 and "not a member" in r.text
