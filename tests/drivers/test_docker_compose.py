"""DockerCompose nodes on the real Docker engine: a compose project per node."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import docker
import pytest
import yaml
from driver_helpers import deadline, http_get, labelled

from cumulo import catalogue
from cumulo.drivers.base import NodeRequest, SiteInfo
from cumulo.drivers.docker import DockerDriver
from cumulo.drivers.docker.compose import compose_command
from cumulo.egress import REFUSED, EgressPolicy
from cumulo.errors import SiteError

pytestmark = pytest.mark.e2e

COMPOSE = ("tosca.nodes.indigo.DockerCompose", "tosca.nodes.Root")


def example_compose() -> str:
    """The compose file of the catalogue's two-service example."""
    doc = yaml.safe_load(catalogue.find("compose-counter").read_text())
    return doc["topology_template"]["node_templates"]["compose_app"]["properties"][
        "docker_compose_file_content"
    ]


EXAMPLE = example_compose()
# The admin opts in: the tests' web servers listen on 127.0.0.1 (loopback is refused by default).
LOOPBACK_ALLOWED = EgressPolicy.parse("127.0.0.1")


def compose_request(deployment: str, content: str = EXAMPLE, **properties) -> NodeRequest:
    return NodeRequest(
        deployment_id=deployment, node="app", index=0, type=COMPOSE[0], types=COMPOSE,
        properties={"project_name": "ignored", "docker_compose_file_content": content,
                    **properties},
        capabilities={},
    )  # fmt: skip


@pytest.fixture
def compose_driver(site_images: None, tmp_path) -> DockerDriver:
    if compose_command() is None:
        pytest.skip("no compose on this machine (docker compose or docker-compose)")
    return DockerDriver(
        SiteInfo(name="test-local", endpoint="unix:///var/run/docker.sock",
                 options={"work_dir": str(tmp_path)}, egress=LOOPBACK_ALLOWED)
    )  # fmt: skip


def test_two_service_app_answers_and_is_removed_without_a_trace(
    compose_driver: DockerDriver, deployment: str, engine: docker.DockerClient, tmp_path
) -> None:
    env = [{"APP_TITLE": "counted"}]
    request = compose_request(deployment, environment_variables=env)
    made = compose_driver.create(request)
    attrs = compose_driver.wait_ready(request, made, deadline(60)).attributes
    assert set(attrs["ports"]) == {"db", "web"}
    assert attrs["ports"]["db"] == {}  # not published: reached by the web app only
    url = attrs["endpoints"]["web"]
    assert url.startswith("http://127.0.0.1:") and list(attrs["endpoints"]) == ["web"]
    assert http_get(url) == "counted: 1 visits\n"
    assert http_get(url) == "counted: 2 visits\n"
    mine = {"label": f"cumulo.deployment={deployment}"}
    containers = engine.containers.list(all=True, filters=mine)
    assert len(containers) == 2
    for c in containers:
        for bindings in c.attrs["HostConfig"]["PortBindings"].values():
            assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
    assert compose_driver.observe(made.physical_id) == "STARTED"
    project = made.physical_id.removeprefix("compose:")
    assert project.startswith(f"cumulo-{deployment}-app-0")

    removed = compose_driver.delete_deployment(deployment)
    assert len(removed) == 2
    assert compose_driver.observe(made.physical_id) == "DELETED"
    by_project = {"label": f"com.docker.compose.project={project}"}
    assert not engine.networks.list(filters=by_project)
    assert not engine.volumes.list(filters=by_project)
    assert not list((tmp_path / "compose").glob(f"{project}*"))


def _refused(driver: DockerDriver, deployment: str, content: str, engine) -> str:
    with pytest.raises(SiteError) as caught:
        driver.create(compose_request(deployment, content))
    assert not labelled(engine, deployment)
    return str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("services: [", "is not YAML at line 1"),
        ("services:\n  a:\n    image: cumulo/nothing-here:0\n", "does not exist on the site"),
        ("services:\n  a:\n    image: cumulo/httpd:1\n    privileged: true\n",
         "services.a.privileged: privileged containers are not allowed"),
        ("services:\n  a:\n    image: cumulo/httpd:1\n    network_mode: host\n",
         "services.a.network_mode: network_mode: host"),
        ("services:\n  a:\n    image: cumulo/httpd:1\n    volumes: [/var/run/docker.sock:/s]\n",
         "mounting the Docker socket is not allowed"),
        ("services:\n  a:\n    image: cumulo/httpd:1\n    volumes: [/etc:/host-etc]\n",
         "host bind mounts are not allowed on this site: use a named volume"),
        ("services:\n  a:\n    image: cumulo/httpd:1\n    volumes: [../../x:/x]\n",
         "../../x: host bind mounts are not allowed"),
        ("services:\n  a:\n    image: cumulo/httpd:1\n    cap_add: [SYS_ADMIN]\n",
         "the key 'cap_add' is not allowed"),
        ("services:\n  a:\n    image: cumulo/httpd:1\n    network_mode: ${M}\n",
         "network_mode: host"),
        ("services:\n  a:\n    build: .\n", "building images is not allowed"),
    ],
)  # fmt: skip
def test_the_site_policy_refuses_unsafe_compose_files(
    compose_driver: DockerDriver, deployment: str, engine, content: str, message: str
) -> None:
    content = content.replace("${M}", "${M:-host}")
    text = _refused(compose_driver, deployment, content, engine)
    assert text.startswith("node app: ") and message in text, text


def test_invalid_variable_names_are_refused(compose_driver: DockerDriver, deployment: str):
    request = compose_request(deployment, environment_variables=[{"BAD-NAME": "x"}])
    with pytest.raises(SiteError, match="'BAD-NAME' is not a valid variable name"):
        compose_driver.create(request)


def test_compose_file_from_http_url(
    compose_driver: DockerDriver, deployment: str, web_server
) -> None:
    url = web_server({"/app.yaml": b"services:\n  w:\n    image: cumulo/httpd:1\n"
                      b"    ports: ['8080']\n"})  # fmt: skip
    request = compose_request(deployment, "", docker_compose_file_url=url + "/app.yaml")
    attrs = compose_driver.wait_ready(
        request, compose_driver.create(request), deadline()
    ).attributes
    assert "cumulo" in http_get(attrs["endpoints"]["w"]).lower()


def test_compose_urls_that_hang_are_too_large_or_not_allowed(
    site_images: None, deployment: str, web_server, tmp_path
) -> None:
    options = {
        "work_dir": str(tmp_path),
        "compose_policy": {"fetch_timeout_seconds": 0.5, "max_file_bytes": 1000},
    }
    site = SiteInfo("test-local", "unix:///var/run/docker.sock", options=options,
                    egress=LOOPBACK_ALLOWED)  # fmt: skip
    driver = DockerDriver(site)
    url = web_server({"/big.yaml": b"#" * 5000, "/slow.yaml": None})  # fmt: skip
    cases = {
        url + "/big.yaml": "larger than 1000 bytes",
        url + "/slow.yaml": "timed out",
        url + "/missing.yaml": "the server answered 404",
        "file:///etc/passwd": "file URLs are allowed only under",
        "ftp://example.org/x": "only http, https and file URLs",
        "http://[::1]:1/x": REFUSED,  # allowed: 127.0.0.1 only
    }
    for source, message in cases.items():
        with pytest.raises(SiteError, match=re.escape(message)):
            driver.create(compose_request(deployment, "", docker_compose_file_url=source))


@pytest.fixture
def web_server() -> Iterator[Callable[[dict[str, bytes | None]], str]]:
    """A 127.0.0.1 HTTP server of the given paths; a path of None hangs."""
    release = threading.Event()
    servers: list[ThreadingHTTPServer] = []

    def serve(paths: dict[str, bytes | None]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path not in paths:
                    self.send_error(404)
                    return
                body = paths[self.path]
                if body is None:
                    release.wait(30)  # hangs until the test ends
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    release.set()
    for server in servers:
        server.shutdown()
        server.server_close()
