"""The seed's forms in a real browser: Docker-compose with variables and port rules, at
1366 px and 390 px, deployed on the local site; the variables reach the containers."""

from __future__ import annotations

import json
import re
import subprocess

from browser import screenshot
from e2e_helpers import containers_of
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared)
    STATUS_TIMEOUT_MS,
    browser,
    deploy_button,
    deployment_id,
    expect,
    free_port,
    made,
    page,
    server,
    sink,
)

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
    envs, published = [], []
    for container in containers_of(dep_id):
        attrs = json.loads(
            subprocess.run(
                ["docker", "inspect", container], capture_output=True, text=True, check=True
            ).stdout
        )[0]
        envs.append(attrs["Config"]["Env"])
        published += [
            (key, b["HostIp"])
            for key, bindings in (attrs["NetworkSettings"]["Ports"] or {}).items()
            for b in bindings or []
        ]
    assert any({"DB_USER=ann", "DB_PASS=s3cret", "THEME=dark"} <= set(env) for env in envs)
    # The port rules are realized: the host machine publishes them, on 127.0.0.1 only.
    keys = {key for key, _ in published}
    assert {f"{web_port}/tcp", "7000/udp", "7001/udp"} <= keys
    assert {ip for _, ip in published} == {"127.0.0.1"}
