"""Requests cumulo makes on mallory's behalf (issue 11, class 10): a compose URL and a deployment
``callback`` aimed at the server's own host, its metadata address, its other ports.

Against the real ``cumulo serve`` (the shared site: the default policy, no loopback), and a
second one whose admin allows exactly one 127.0.0.1 port, to try redirects from an allowed
server. Every refusal and every failed connection must read the same (no open/closed port
oracle), the listening servers must hear nothing, and nothing of a refused deployment is left.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from attack_site import TOSCA_HEADER, SharedSite, server_side
from e2e_helpers import docker_problem, labelled, serving

from cumulo.egress import REFUSED, classify, literal_ip

sys.path.insert(0, str(Path(__file__).parents[1] / "egress"))
from egress_servers import Recorder, closed_port

pytestmark = pytest.mark.e2e

TEMPLATE = (
    TOSCA_HEADER
    + """
  inputs:
    url: {type: string}
  node_templates:
    app:
      type: tosca.nodes.indigo.DockerCompose
      properties:
        project_name: app
        docker_compose_file_url: { get_input: url }
"""
)
COMPOSE = yaml.safe_dump({"services": {"w": {"image": "cumulo/httpd:1", "ports": ["8080"]}}})
FIELD = "properties.docker_compose_file_url"


@pytest.fixture
def listening() -> Iterator[Recorder]:
    """A server on 127.0.0.1 that must hear nothing (it would serve a valid compose file)."""
    server = Recorder(COMPOSE.encode())
    yield server
    server.close()


def host_aliases() -> list[str]:
    """Names of this machine that resolve to loopback (``localhost``, and its host name if so)."""
    names = ["localhost"]
    try:
        infos = socket.getaddrinfo(socket.gethostname(), 80, type=socket.SOCK_STREAM)
    except OSError:
        return names
    if infos and all(classify(literal_ip(i[4][0])) == "loopback" for i in infos):  # type: ignore[arg-type]
        names.append(socket.gethostname())
    return names


def targets(open_port: int) -> list[str]:
    """Every way mallory may name the host's open port, a closed one, and the metadata service."""
    closed = closed_port()
    return [
        f"http://127.0.0.1:{open_port}/compose.yaml", f"http://127.0.0.1:{closed}/compose.yaml",
        "http://169.254.169.254/latest/meta-data/", f"http://[::1]:{open_port}/compose.yaml",
        f"http://0x7f000001:{open_port}/compose.yaml", f"http://2130706433:{open_port}/x",
        f"http://[::ffff:127.0.0.1]:{open_port}/x",
        *(f"http://{name}:{port}/compose.yaml" for name in host_aliases()
          for port in (open_port, closed)),
    ]  # fmt: skip


def failed_reasons(site: SharedSite, user: str, urls: list[str], **extra: Any) -> list[str]:
    """Deploy each URL as the compose file (all at once); each must fail and leave nothing."""
    ids = []
    for url in urls:
        r = site.post(user, TEMPLATE, {"url": url}, **extra)
        assert r.status_code == 201, r.text
        ids.append(r.json()["uuid"])
    reasons = []
    try:
        for dep_id in ids:
            body = site.wait_final(user, dep_id, timeout=120)
            assert body["status"] == "CREATE_FAILED", body
            reasons.append(body["statusReason"])
            for kind in ("container", "volume", "network"):
                assert labelled(kind, dep_id) == [], (kind, dep_id)
    finally:
        for dep_id in ids:
            site.remove(user, dep_id)
    return reasons


def the_message(reasons: list[str]) -> str:
    """The one message every reason carries, after the node and field it names."""
    assert all(FIELD in reason for reason in reasons), reasons
    tails = {reason[reason.index(FIELD) :] for reason in reasons}
    assert len(tails) == 1, tails
    return tails.pop()


def test_compose_urls_to_the_host_are_refused_alike(
    shared_site: SharedSite, listening: Recorder
) -> None:
    urls = targets(listening.port)
    reasons = failed_reasons(shared_site, "mallory", urls)
    assert the_message(reasons) == f"{FIELD}: {REFUSED}"
    # The message names no address nor port, and no timing: open, closed, metadata read alike.
    assert all(str(listening.port) not in reason for reason in reasons), reasons
    assert listening.requests == []


def test_callbacks_to_the_host_are_refused_at_post(
    shared_site: SharedSite, listening: Recorder
) -> None:
    before = shared_site.get("mallory", "/deployments").json()
    names = [f"//{name}:" for name in host_aliases()[1:]]  # resolved only when sent
    literal = [url for url in targets(listening.port) if not any(n in url for n in names)]
    answers = set()
    for url in literal:
        r = shared_site.post("mallory", TEMPLATE, {"url": "https://example.org/c.yaml"},
                             callback=url)  # fmt: skip
        assert r.status_code == 400, (url, r.text)
        answers.add(r.json()["message"])
    assert answers == {f"callback: {REFUSED}"}
    assert shared_site.get("mallory", "/deployments").json() == before  # nothing made
    assert listening.requests == []


def test_a_callback_by_a_name_of_the_host_is_refused_when_sent(
    shared_site: SharedSite, listening: Recorder
) -> None:
    """A name passes the check at POST; what it resolves to is refused at every send."""
    name = host_aliases()[-1]
    if name == "localhost":
        pytest.skip("this machine's host name does not resolve to loopback")
    closed = closed_port()
    hooks = {port: f"http://{name}:{port}/hook" for port in (listening.port, closed)}
    ids = {}
    for port, hook in hooks.items():
        r = shared_site.post("mallory", TEMPLATE, {"url": "http://169.254.169.254/x"},
                             callback=hook)  # fmt: skip
        assert r.status_code == 201, r.text
        ids[port] = r.json()["uuid"]
    try:
        for dep_id in ids.values():
            assert shared_site.wait_final("mallory", dep_id)["status"] == "CREATE_FAILED"
        errors = wait_for(lambda: callback_errors(shared_site.data, list(ids.values())))
        assert set(errors.values()) == {REFUSED}, errors  # open and closed ports alike
    finally:
        for dep_id in ids.values():
            shared_site.remove("mallory", dep_id)
    assert listening.requests == []


def callback_errors(data: Path, dep_ids: list[str]) -> dict[str, str] | None:
    """The first delivery error of each deployment's callback, once every one has one."""
    with sqlite3.connect(f"file:{data / 'cumulo.db'}?mode=ro", uri=True) as db:
        marks = ",".join("?" * len(dep_ids))
        rows = db.execute(
            f"SELECT deployment_id, error FROM callbacks WHERE deployment_id IN ({marks}) "
            "AND error IS NOT NULL ORDER BY id", dep_ids
        ).fetchall()  # fmt: skip
    found = dict(reversed(rows))
    return found if set(found) == set(dep_ids) else None


def wait_for(probe: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"not seen within {timeout} s")


# -- a site whose admin allows exactly one 127.0.0.1 port ------------------------------------


class AllowedSite:
    def __init__(self, site: SharedSite, allowed: Recorder, inside: Recorder) -> None:
        self.site, self.allowed, self.inside = site, allowed, inside


@pytest.fixture(scope="module")
def allowed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllowedSite]:
    problem = docker_problem()
    if problem:
        pytest.skip(f"needs the real Docker engine: {problem}")
    inside = Recorder(COMPOSE.encode())  # another port of the host: not allowed
    allowed = RedirectingRecorder(f"{inside.url}/compose.yaml")
    data = tmp_path_factory.mktemp("cumulo-egress-site")
    env = {**os.environ, "CUMULO_EGRESS_ALLOW": f"127.0.0.1:{allowed.port}",
           "CUMULO_CALLBACK_TRIES": "1", "CUMULO_CALLBACK_TIMEOUT_SECONDS": "3"}  # fmt: skip
    try:
        with serving(data, "--workers", "2", env=env) as url:
            server_side(data, "users", "add", "mallory", "-g", "guests", "--generate")
            token = server_side(data, "tokens", "create", "mallory").strip()
            yield AllowedSite(SharedSite(url, data, {"mallory": token}), allowed, inside)
    finally:
        allowed.close()
        inside.close()


class RedirectingRecorder(Recorder):
    """Serves the compose file at ``/compose.yaml``; ``/redirect`` and ``/hook`` answer 307
    to ``target``."""

    def __init__(self, target: str) -> None:
        super().__init__(COMPOSE.encode(), redirect=target, redirect_paths=("/redirect", "/hook"))


def test_the_admins_allowed_port_is_reached_and_a_redirect_from_it_is_refused(
    allowed_site: AllowedSite,
) -> None:
    site, allowed, inside = allowed_site.site, allowed_site.allowed, allowed_site.inside
    # The allowed port serves a compose file: it deploys (the admin's setting reaches the site).
    body = site.deploy("mallory", TEMPLATE, {"url": f"{allowed.url}/compose.yaml"})
    try:
        assert body["status"] == "CREATE_COMPLETE", body
    finally:
        site.remove("mallory", body["uuid"])
    assert labelled("container", body["uuid"]) == []
    # Its redirect to another port of the host is refused, with the same message; the callback
    # (allowed) is sent, and its redirect is not followed.
    reasons = failed_reasons(site, "mallory", [f"{allowed.url}/redirect"],
                             callback=f"{allowed.url}/hook")  # fmt: skip
    assert the_message(reasons) == f"{FIELD}: {REFUSED}"
    wait_for(lambda: [r for r in allowed.requests if r["method"] == "POST"])
    assert [r["path"] for r in allowed.requests if r["method"] == "GET"] == [
        "/compose.yaml",
        "/redirect",
    ]
    assert inside.requests == []
    # Another port of the same address stays closed to callbacks, refused at POST.
    r = site.post("mallory", TEMPLATE, {"url": f"{allowed.url}/compose.yaml"},
                  callback=f"{inside.url}/hook")  # fmt: skip
    assert r.status_code == 400 and r.json()["message"] == f"callback: {REFUSED}"
