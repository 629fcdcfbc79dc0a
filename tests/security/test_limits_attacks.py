"""The server's limits (issue 11, classes 5 and 11): what mallory may ask of a shared site is
bounded, refused at POST naming the field, and costs the server nothing on the way.

Count bombs (instances expanded from ``count``), numbers no database or engine can hold, JSON
nested past any use, sizes no machine has, strings no environment can carry. Each must be a
400 that names what is wrong, leave no deployment and no container, and keep the connection
and the server answering.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from attack_site import SharedSite

pytestmark = pytest.mark.e2e

HEADER = """tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
"""
BOMB_NODE = """    n{i}:
      type: tosca.nodes.indigo.Compute
      capabilities:
        scalable:
          properties:
            count: {count}
"""
CONTAINER = (  # a VM-like container sized by inputs, and a container given an environment
    HEADER
    + """topology_template:
  inputs:
    cpus: {type: float, default: 1}
    mem: {type: scalar-unit.size, default: 64 MB}
    env: {type: map, default: {}, entry_schema: {type: string}}
  node_templates:
    vm:
      type: tosca.nodes.indigo.Compute
      capabilities:
        host:
          properties:
            num_cpus: { get_input: cpus }
            mem_size: { get_input: mem }
    app:
      type: tosca.nodes.indigo.dockerRun
      properties:
        docker_image: cumulo/httpd
        docker_tag: "1"
        environment_variables: { get_input: env }
"""
)
MB = 1 << 20


def bomb(nodes: int, count: int) -> str:
    body = "".join(BOMB_NODE.format(i=i, count=count) for i in range(nodes))
    return f"{HEADER}topology_template:\n  node_templates:\n{body}"


def server_pid(url: str) -> int | None:
    """The pid of the ``cumulo serve`` listening at ``url`` (found by its --port argument)."""
    port = str(urlsplit(url).port)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in args]
        if "serve" in words and "--port" in words and words[words.index("--port") + 1] == port:
            return int(proc.name)
    return None


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def server_deployments(site: SharedSite) -> set[str]:
    """Every deployment row of the shared site's database, whoever owns it."""
    with sqlite3.connect(f"file:{site.data / 'cumulo.db'}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT id FROM deployments")}


def containers_of(dep_ids: set[str]) -> set[str]:
    """Ids of the containers of ``dep_ids`` (other servers' tests may run beside this one)."""
    done = subprocess.run(["docker", "ps", "-a", "--format",
                           '{{.ID}} {{.Label "cumulo.deployment"}}'],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pairs = (line.split() for line in done.stdout.splitlines())
    return {pair[0] for pair in pairs if len(pair) == 2 and pair[1] in dep_ids}


@pytest.fixture
def leaves_nothing(shared_site: SharedSite) -> Iterator[None]:
    """Whatever the test sends, no deployment row appears and no container of one either."""
    before = server_deployments(shared_site)
    made = containers_of(before)
    yield
    after = server_deployments(shared_site)
    assert after <= before, f"new deployments: {after - before}"
    assert containers_of(after) <= made


def refused(site: SharedSite, body: dict[str, Any], *names: str) -> str:
    """POST ``body`` as mallory on one keep-alive connection: a JSON 400 naming ``names``; the
    same connection then still answers (a 500 used to reset it)."""
    with httpx.Client(base_url=site.url, headers=site.headers("mallory"), timeout=60) as client:
        r = client.post("/deployments", json=body)
        assert r.status_code == 400, r.text
        message = r.json()["message"]
        for name in names:
            assert name in message, message
        assert client.get("/deployments").status_code == 200
    return message


@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize(("nodes", "count"), [(60, 10_000), (1_000, 10_000), (5_000, 1)])
def test_count_bombs_are_refused_before_any_instance_exists(
    shared_site: SharedSite, nodes: int, count: int
) -> None:
    """60 x 10,000 took 1 GB and 14 s; 5,000 x 10,000 (760 KB) took 18 GB. Now the limit is
    checked on the counts alone: the server's peak memory does not move by the bomb's size."""
    pid = server_pid(shared_site.url)
    assert pid is not None, "the shared site's cumulo serve is not found in /proc"
    before = peak_rss_mb(pid)
    template = bomb(nodes, count)
    message = refused(shared_site, {"template": template}, "limit of 200")
    if nodes * count > 200 and nodes <= 200:
        assert "'n0' count 10000" in message and f"{nodes * count} instances" in message
    else:
        assert f"{nodes} node templates" in message
    # 600,000 instances cost ~1 GB: refused on the counts alone, the peak does not move by much
    assert peak_rss_mb(pid) - before < 150
    # the listing stays light: it neither expands plans nor loads templates per row
    assert shared_site.get("mallory", "/deployments?size=1000").status_code == 200


@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize("field", ["timeoutMins", "providerTimeoutMins", "maxProvidersRetry"])
@pytest.mark.parametrize("value", [2**63, 2**64 + 1, 10**40])
def test_numbers_past_64_bits_are_a_400_naming_the_field(
    shared_site: SharedSite, field: str, value: int
) -> None:
    body = {"template": CONTAINER, field: value}
    refused(shared_site, body, field)


@pytest.mark.usefixtures("leaves_nothing")
def test_numbers_in_range_but_past_any_sane_use_are_a_400(shared_site: SharedSite) -> None:
    refused(shared_site, {"template": CONTAINER, "timeoutMins": 2**62}, "timeoutMins")
    refused(shared_site, {"template": CONTAINER, "maxProvidersRetry": 10**6}, "maxProvidersRetry")


@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize("depth", [40, 2_000, 100_000])
def test_deeply_nested_parameters_are_a_400(shared_site: SharedSite, depth: int) -> None:
    # json.dumps itself recurses: the body is written by hand past its depth
    raw = '{"template": %s, "parameters": {"env": %s}}' % (  # noqa: UP031
        json.dumps(CONTAINER),
        '{"a": ' * depth + '"x"' + "}" * depth,
    )
    with httpx.Client(base_url=shared_site.url, headers=shared_site.headers("mallory")) as client:
        r = client.post("/deployments", content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, r.text
        assert "parameters" in r.json()["message"] and "nested deeper" in r.json()["message"]
        assert client.get("/deployments").status_code == 200


@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize(
    ("parameters", "names"),
    [
        ({"cpus": 1e308}, ("cores", "'vm'", "local")),
        ({"mem": "99999999999 TB"}, ("ram", "'vm'", "local")),
        ({"mem": "1e308 TB"}, ("mem", "finite")),
        ({"env": {"GREETING": "hello\u0000world"}}, ("env", "GREETING", "U+0000")),
        ({"env": {"GREETING": "\u001b[31mred"}}, ("env", "GREETING", "U+001B")),
        ({"env": {"BAD\u0000KEY": "x"}}, ("env", "U+0000")),
    ],
)
def test_values_no_site_or_process_could_hold_are_a_400(
    shared_site: SharedSite, parameters: dict[str, Any], names: tuple[str, ...]
) -> None:
    # the control: the same template with sane values is one the local site takes
    control = httpx.post(f"{shared_site.url}/scheduling", json={"template": CONTAINER},
                         headers=shared_site.headers("mallory"), timeout=60)  # fmt: skip
    assert control.status_code == 200 and control.json()["ranked"] == ["local"], control.text
    refused(shared_site, {"template": CONTAINER, "parameters": parameters}, *names)


@pytest.mark.usefixtures("leaves_nothing")
def test_a_nul_written_in_the_template_itself_is_a_400(shared_site: SharedSite) -> None:
    template = CONTAINER.replace("default: {}, entry_schema", 'default: {A: "x\\0y"}, entry_schema')
    assert "\\0" in template
    refused(shared_site, {"template": template}, "U+0000")


@pytest.mark.usefixtures("leaves_nothing")
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "1e400"])
def test_non_finite_numbers_are_a_400(shared_site: SharedSite, constant: str) -> None:
    raw = '{"template": "x", "parameters": {"cpus": %s}}' % constant  # noqa: UP031
    headers = {**shared_site.headers("mallory"), "Content-Type": "application/json"}
    r = httpx.post(f"{shared_site.url}/deployments", content=raw, headers=headers, timeout=30)
    assert r.status_code == 400 and "parameters.cpus" in r.json()["message"], r.text


def test_an_update_is_bounded_the_same_way(shared_site: SharedSite) -> None:
    """PUT takes the same body rules: checked before the deployment is even looked up."""
    url = f"{shared_site.url}/deployments/no-such-id"
    for body, field in (
        ({"parameters": {"env": {"A": "x\u0000"}}}, "parameters.env.A"),
        ({"timeoutMins": 2**63}, "timeoutMins"),
        ({"timeoutMins": 10**30}, "timeoutMins"),
        ({"parameters": {"cpus": float("inf")}}, "parameters.cpus"),
    ):
        headers = {**shared_site.headers("mallory"), "Content-Type": "application/json"}
        # json.dumps writes inf as Infinity, as a careless client would
        r = httpx.put(url, content=json.dumps(body), headers=headers, timeout=30)
        assert r.status_code == 400 and field in r.json()["message"], r.text


def test_a_huge_body_is_refused_unread(shared_site: SharedSite) -> None:
    r = httpx.post(f"{shared_site.url}/deployments", content=b"{" + b" " * (5 * MB) + b"}",
                   headers={**shared_site.headers("mallory"), "Content-Type": "application/json"},
                   timeout=60)  # fmt: skip
    assert r.status_code == 413, r.text
