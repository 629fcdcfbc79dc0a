"""The seed's forms in a real browser: Docker-compose with variables and port rules, at
1366 px and 390 px, deployed on the local site; the variables reach the containers. The VM
forms (with and without block storage), every field changed, deployed and deleted."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from browser import screenshot
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared)
    STATUS_TIMEOUT_MS,
    browser,
    containers_of,
    deploy_button,
    deployment_id,
    expect,
    free_port,
    made,
    page,
    server,
    sink,
)

KEY_TYPE = "ed25519"

COMPOSE = """services:
  web:
    image: cumulo/httpd:1
    environment:
      DB_USER: ${DB_USER}
      DB_PASS: ${DB_PASS}
      THEME: ${THEME}
    ports:
      - "8080"
"""


def add_row(pg, field: str, *values: str) -> None:
    table = pg.locator(f"#f-{field}")
    table.get_by_role("button", name=re.compile(r"^Add")).click()
    row = table.locator("[data-rows] .row").last
    for i, value in enumerate(values):
        control = row.locator("input, select").nth(i)
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def no_horizontal_overflow(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(["docker", "inspect", container], capture_output=True, text=True)
    return json.loads(out.stdout)[0]


def published(attrs: dict[str, Any]) -> list[tuple[str, str]]:
    """(container port/protocol, host address) of each port the container publishes."""
    ports = attrs["NetworkSettings"]["Ports"] or {}
    return [(key, b["HostIp"]) for key, bindings in ports.items() for b in bindings or []]


def docker_objects_of(dep_id: str) -> list[str]:
    """The deployment's containers, volumes and networks still on the Docker engine."""
    label = f"label=cumulo.deployment={dep_id}"
    found = []
    for kind in ("container", "volume", "network"):
        listing = ["docker", kind, "ls", "-q", *(["-a"] if kind == "container" else [])]
        out = subprocess.run([*listing, "--filter", label], capture_output=True, text=True)
        found += [f"{kind} {name}" for name in out.stdout.split()]
    return found


def delete_from_the_list(pg, dep_id: str) -> None:
    pg.goto("/ui/deployments?size=25")
    row = pg.locator(f"tr[data-deployment='{dep_id}']")
    pg.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0, timeout=STATUS_TIMEOUT_MS)


def test_docker_compose_form_with_variables_and_port_rules_deploys(page, made):  # noqa: F811
    page.goto("/ui/catalogue/docker-compose")
    page.fill("#f-description", "compose from the browser")
    page.fill("#f-project_name", "shop")
    page.fill("#f-docker_compose_file_content", COMPOSE)
    for key, value in (("DB_USER", "ann"), ("DB_PASS", "s3cret"), ("THEME", "dark")):
        add_row(page, "environment_variables", key, value)
    page.get_by_role("tab", name="Ports").click()
    web_port = free_port()
    add_row(page, "service_ports", "tcp", str(web_port), "192.0.2.0/24")
    add_row(page, "service_ports", "udp", "7000-7001", "")
    screenshot(page, "docker-compose-form-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_horizontal_overflow(page)
    screenshot(page, "docker-compose-form-390")
    deploy_button(page).click()
    page.wait_for_url(re.compile(r"/ui/deployments/[0-9a-f-]{36}"))
    dep_id = deployment_id(page)
    made.append(dep_id)
    expect(page.locator("#dep-status")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    screenshot(page, "docker-compose-details-390")
    attrs = [inspect(c) for c in containers_of(dep_id)]
    ports = [p for a in attrs for p in published(a)]
    variables = {"DB_USER=ann", "DB_PASS=s3cret", "THEME=dark"}
    (web,) = [a for a in attrs if variables <= set(a["Config"]["Env"])]
    # ... and the running service has them: the environment of the container's process.
    environ = subprocess.run(["docker", "exec", web["Id"], "cat", "/proc/1/environ"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert variables <= set(environ.split("\0"))
    # The port rules are realized: the host machine publishes them, on 127.0.0.1 only.
    keys = {key for key, _ in ports}
    assert {f"{web_port}/tcp", "7000/udp", "7001/udp"} <= keys
    assert {ip for _, ip in ports} == {"127.0.0.1"}


@pytest.mark.parametrize("name", ["vm", "vm-storage"])
def test_vm_forms_with_every_field_changed_deploy_and_delete(
    page,  # noqa: F811
    made,  # noqa: F811
    tmp_path: Path,
    name: str,
):
    key = tmp_path / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", KEY_TYPE, "-N", "", "-f", str(key)], check=True)
    page.goto(f"/ui/catalogue/{name}")
    page.fill("#f-description", f"{name} from the browser")
    page.fill("#f-ssh_public_key", key.with_suffix(".pub").read_text().strip())
    page.select_option("#f-num_cpus", "2")
    page.fill("#f-mem_size", "768")
    page.select_option("select[name='p.mem_size.unit']", "MB")
    if name == "vm-storage":
        page.get_by_role("tab", name="Storage").click()
        page.fill("#f-storage_size", "2")
        page.fill("#f-mount_path", "/srv/data")
    page.get_by_role("tab", name="Ports").click()
    add_row(page, "service_ports", "tcp", "8081", "192.0.2.0/24")
    add_row(page, "service_ports", "udp", "7000-7001", "")
    # Distribution and version offer one choice each: nothing else to choose there.
    screenshot(page, f"{name}-form-every-field")
    deploy_button(page).click()
    page.wait_for_url(re.compile(r"/ui/deployments/[0-9a-f-]{36}"))
    dep_id = deployment_id(page)
    made.append(dep_id)
    expect(page.locator("#dep-status")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    attrs = [inspect(c) for c in containers_of(dep_id)]
    vm = next(a for a in attrs if a["Config"]["Labels"].get("cumulo.kind") == "vm")
    assert vm["HostConfig"]["NanoCpus"] == 2_000_000_000
    assert vm["HostConfig"]["Memory"] == 768_000_000
    ports = published(vm)
    assert {"22/tcp", "8081/tcp", "7000/udp", "7001/udp"} <= {k for k, _ in ports}
    assert {ip for _, ip in ports} == {"127.0.0.1"}
    if name == "vm-storage":
        mounts = {m["Destination"]: m for m in vm["Mounts"]}
        assert mounts["/srv/data"]["Type"] == "volume"
    delete_from_the_list(page, dep_id)
    assert docker_objects_of(dep_id) == []
