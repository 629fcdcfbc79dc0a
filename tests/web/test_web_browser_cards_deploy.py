"""Cards' forms filled in a real browser with values other than the defaults (issue 17, item 7).

- Docker-compose: a project name, a compose file with a variable, the variable, an SSH key for
  the host machine, the deployment's own options; deployed to CREATE_COMPLETE, each value seen
  where it acts (the container's environment, a login with the key, the service's page; the
  project name is recorded: the local site names compose projects itself), then deleted from
  the list, leaving nothing on the Docker engine.
- The cards the local site cannot serve (public images; Kubernetes and Mesos, which need full
  virtual machines; an S3 bucket, the local site having no S3 service): the form comes back
  with the scheduler's reason at the site choice, the chosen values in it (the image's tag),
  and nothing is created.

The other cards are deployed from their forms elsewhere: Run docker (test_web_browser.py),
the VMs and Docker-compose's port rules (test_web_browser_forms.py), the two examples
(test_web_browser_cards.py), Jupyter (test_web_browser_notebooks.py), ML-INFN, CYGNO and
the Spark cluster (test_web_browser_science_cards.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from browser import key_pair, screenshot
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared)
    auth,
    browser,
    containers_of,
    deploy_button,
    expect,
    made,
    page,
    server,
    sink,
)
from test_web_browser_cards import api_view, change_the_deployment_options, deployed, shows_inputs
from test_web_browser_forms import add_row, delete_from_the_list, docker_objects_of, inspect

COMPOSE = """services:
  notes:
    image: cumulo/httpd:1
    environment:
      LAB: ${LAB}
    ports:
      - "8080"
"""
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "BatchMode=yes"]  # fmt: skip


def test_docker_compose_form_with_its_fields_changed_deploys_and_deletes(
    page,  # noqa: F811
    server,  # noqa: F811
    made,  # noqa: F811
    tmp_path: Path,
):
    key = key_pair(tmp_path)
    page.goto("/ui/catalogue/docker-compose")
    site = change_the_deployment_options(page, "lab notes from the browser")
    page.get_by_role("tab", name="General", exact=True).click()
    page.fill("#f-project_name", "lab-notes")
    page.fill("#f-docker_compose_file_content", COMPOSE)
    add_row(page, "environment_variables", "LAB", "cosmic-rays")
    page.get_by_role("tab", name="Advanced", exact=True).click()
    page.fill("#f-ssh_public_key", key.with_suffix(".pub").read_text().strip())
    screenshot(page, "docker-compose-form-fields-changed")
    dep_id = deployed(page, made)
    dep = api_view(server, dep_id)
    assert dep["cloudProviderName"] == site
    attrs = [inspect(c) for c in containers_of(dep_id)]
    (notes,) = [a for a in attrs if a["Config"]["Labels"].get("com.docker.compose.service")]
    assert "LAB=cosmic-rays" in notes["Config"]["Env"]
    (url,) = dep["outputs"]["endpoints"].values()
    assert "cumulo httpd" in httpx.get(url, timeout=10).text
    # The key reached the host machine: the owner logs in with it.
    host = next(a for a in attrs if a["Config"]["Labels"].get("cumulo.kind") == "vm")
    (ssh_port,) = [b["HostPort"] for b in host["NetworkSettings"]["Ports"]["22/tcp"]]
    ssh = ["ssh", "-p", ssh_port, "-i", str(key), *SSH_OPTIONS, "admin@127.0.0.1", "true"]
    done = subprocess.run(ssh, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    shows_inputs(page, "lab-notes", "cosmic-rays")
    delete_from_the_list(page, dep_id)
    assert docker_objects_of(dep_id) == []


# card -> (fields to fill: id -> value, the start of the reason shown at the site choice)
REFUSED = {
    "htcondor": (
        {"wn_num": "3", "pool_password": "pool-secret-9", "htcondor_version": "23.9"},
        "image htcondor/cm:23.9 is not available on site local",
    ),
    "elasticsearch-kibana": (
        {"elastic_password": "elastic-pw-9", "elastic_version": "8.13.4"},
        "image elasticsearch:8.13.4 is not available on site local",
    ),
    "rstudio": (
        {"rstudio_password": "rstudio-pw-9", "rstudio_version": "4.3"},
        "image rocker/rstudio:4.3 is not available on site local",
    ),
    "galaxy": (
        {"admin_email": "curator@example.org", "galaxy_version": "24.1"},
        "image bgruening/galaxy-stable:24.1 is not available on site local",
    ),
    "kubernetes": (
        {"wn_num": "3", "admin_username": "physicist", "admin_token": "a-token-of-the-lab-42"},
        "node lrms_front_end needs a full virtual machine",
    ),
    "mesos": (
        {
            "mesos_password": "mesos-pass-9",
            "marathon_password": "marathon-pass-9",
            "slave_num": "4",
        },
        "node mesos_master needs a full virtual machine",
    ),
    "sync-and-share": (
        {
            "admin_user": "curator",
            "admin_passw": "admin-pass-99",
            "s3_secret_key": "s3-secret-9",
            "nextcloud_version": "30-apache",
        },
        "image nextcloud:30-apache is not available on site local",
    ),
    "s3-bucket": (
        {"bucket_name": "lab-results-9", "aws_secret_key": "s3-secret-9"},
        "site local has no S3 service (node bucket is an S3 bucket)",
    ),
}


def deployment_count(server: str) -> int:  # noqa: F811
    r = httpx.get(f"{server}/deployments", headers=auth(server), timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["page"]["totalElements"])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_card_the_local_site_cannot_serve_comes_back_with_the_reason(
    page,  # noqa: F811
    server,  # noqa: F811
    name: str,
):
    fields, reason = REFUSED[name]
    before = deployment_count(server)
    page.goto(f"/ui/catalogue/{name}")
    page.fill("#f-description", f"{name} from the browser")
    for field, value in fields.items():
        control = page.locator(f"#f-{field}")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    deploy_button(page).click()
    page.wait_for_load_state()
    expect(page.locator("#e-site")).to_contain_text(reason)
    screenshot(page, f"{name}-refused-on-local")
    assert f"/ui/catalogue/{name}" in page.url  # the form again, with what was typed
    for field, value in fields.items():
        if not any(w in field for w in ("pass", "token", "secret")):  # secrets are not sent back
            expect(page.locator(f"#f-{field}")).to_have_value(value)
    assert deployment_count(server) == before
