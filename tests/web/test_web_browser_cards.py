"""Every catalogue card's form in a real browser, at 1366 px and 390 px (screenshots kept as CI
artifacts, axe-core on each), and the example cards' forms with every field changed, deployed
on the local site: the web application and its database, the web page configured by Ansible."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from browser import AXE, key_pair, screenshot, serious_violations
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared)
    STATUS_TIMEOUT_MS,
    auth,
    browser,
    deploy_button,
    deployment_id,
    expect,
    made,
    page,
    server,
    sink,
)
from test_web_browser_forms import delete_from_the_list, docker_objects_of, no_horizontal_overflow

from cumulo import catalogue

WIDTHS = (1366, 390)


def tabs_of(pg) -> list[str]:
    return [t.strip() for t in pg.locator("form.wizard [role=tab]").all_inner_texts()]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", catalogue.names())  # every card, the notebooks' too
def test_each_card_form_fits_the_screen_and_is_accessible(page, name, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/ui/catalogue/{name}")
    expect(deploy_button(page)).to_be_visible()
    tabs = tabs_of(page)
    assert tabs and tabs[-1] == "Advanced", tabs  # the deployment's own options come last
    for tab in tabs:  # every panel fits: no table or input runs off a phone's screen
        page.get_by_role("tab", name=tab, exact=True).click()
        expect(page.get_by_role("tabpanel")).to_be_visible()
        assert no_horizontal_overflow(page), tab
        screenshot(page, f"form-{name}-{width}-{tab}")
    if AXE.exists():
        assert serious_violations(page) == []


def change_the_deployment_options(pg, description: str) -> str:
    """The form's own fields, each away from its default: a description, Manual on the first
    usable site, both timeouts, keep the last attempt. The site chosen."""
    pg.fill("#f-description", description)
    pg.get_by_label("Manual: I choose the site").check()
    site = pg.locator("input[name='site']:not([disabled])").first
    site.check()
    pg.get_by_role("tab", name="Advanced", exact=True).click()
    pg.fill("#f-provider_timeout_mins", "25")
    pg.fill("#f-timeout_mins", "90")
    pg.locator("#f-keep_last_attempt").check()
    return site.get_attribute("value")


def deployed(pg, made_ids: list[str]) -> str:
    deploy_button(pg).click()
    pg.wait_for_url(re.compile(r"/ui/deployments/[0-9a-f-]{36}"))
    dep_id = deployment_id(pg)
    made_ids.append(dep_id)
    expect(pg.locator("#dep-status")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    return dep_id


def api_view(server: str, dep_id: str) -> dict:  # noqa: F811
    r = httpx.get(f"{server}/deployments/{dep_id}", headers=auth(server), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def shows_inputs(pg, *values: str) -> None:
    """The details page's Inputs tab lists each changed input."""
    pg.get_by_role("tab", name="Inputs").click()
    for value in values:
        expect(pg.locator("#panel-inputs")).to_contain_text(value)


def test_compose_counter_form_with_every_field_changed_deploys(page, server, made, sink):  # noqa: F811
    page.goto("/ui/catalogue/compose-counter")
    site = change_the_deployment_options(page, "counter from the browser")
    page.get_by_label("Send a confirmation e-mail when complete").check()
    page.fill("#f-notify_email", "counter@example.org")
    page.get_by_role("tab", name="Application").click()
    page.fill("#f-app_title", "Counted by the browser")
    page.fill("#f-project_name", "shop-2")
    screenshot(page, "compose-counter-form-every-field")
    dep_id = deployed(page, made)
    dep = api_view(server, dep_id)
    assert dep["cloudProviderName"] == site
    # The title reached the application: it greets with it and counts in its database.
    answer = httpx.get(dep["outputs"]["web_url"], timeout=10)
    assert answer.text == "Counted by the browser: 1 visits\n"
    shows_inputs(page, "Counted by the browser", "shop-2")
    screenshot(page, "compose-counter-inputs")
    wait_for_mail(sink, "cumulo: counter from the browser is CREATE_COMPLETE")
    delete_from_the_list(page, dep_id)
    assert docker_objects_of(dep_id) == []


def wait_for_mail(sink, subject: str, seconds: float = 30) -> None:  # noqa: F811
    """The engine's callback made the dashboard mail the address the form gave."""
    deadline = time.monotonic() + seconds
    while subject not in (seen := [m["Subject"] for m in sink.messages]):
        assert time.monotonic() < deadline, f"no mail {subject!r} among {seen}"
        time.sleep(0.2)


def test_ansible_webpage_form_with_every_field_changed_deploys(
    page,  # noqa: F811
    server,  # noqa: F811
    made,  # noqa: F811
    tmp_path: Path,
):
    key = key_pair(tmp_path)
    page.goto("/ui/catalogue/ansible-webpage")
    site = change_the_deployment_options(page, "web page from the browser")
    page.get_by_role("tab", name="Configuration", exact=True).click()
    page.fill("#f-title", "Written by the browser")
    page.fill("#f-message", "Every field of this form was changed.")
    page.fill("#f-ssh_public_key", key.with_suffix(".pub").read_text().strip())
    screenshot(page, "ansible-webpage-form-every-field")
    dep_id = deployed(page, made)
    dep = api_view(server, dep_id)
    assert dep["cloudProviderName"] == site
    # The playbooks wrote the page with the title and the text, and serve it.
    served = httpx.get(dep["outputs"]["url"], timeout=10).text
    assert "Written by the browser" in served
    assert "Every field of this form was changed." in served
    # The key reached the machine: it logs in with it (as the owner's account).
    options = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    ssh = ["ssh", "-p", str(dep["outputs"]["ssh_port"]), "-i", str(key), *options,
           "-o", "BatchMode=yes", "admin@127.0.0.1", "cat /srv/www/index.html"]  # fmt: skip
    done = subprocess.run(ssh, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "Written by the browser" in done.stdout
    shows_inputs(page, "Written by the browser", "Every field of this form was changed.")
    screenshot(page, "ansible-webpage-inputs")
    delete_from_the_list(page, dep_id)
    assert docker_objects_of(dep_id) == []
