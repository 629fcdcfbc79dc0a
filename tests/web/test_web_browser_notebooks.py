"""The notebooks in a real browser: the catalogue's card "Jupyter with persistence" →
its form with every field of the Jupyter and Resources tabs changed → deploy on the
local site → CREATE_COMPLETE → jupyter_endpoint, opened from the outputs → the hub's
login with the password set in the form → JupyterLab loads, a notebook runs a cell
and the page shows its output."""

from __future__ import annotations

import json
import re
import secrets
import subprocess

import httpx
import pytest
from browser import screenshot
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared)
    STATUS_TIMEOUT_MS,
    auth,
    browser,
    containers_of,
    deploy_button,
    deployment_id,
    expect,
    made,
    page,
    server,
    sink,
)
from test_web_browser_forms import delete_from_the_list, docker_objects_of

from cumulo.drivers.docker_images import VM_JUPYTER_12

LAB_TIMEOUT_MS = 180_000  # spawning a server and loading JupyterLab on a busy machine


@pytest.fixture(autouse=True)
def hub_image() -> None:
    if subprocess.run(
        ["docker", "image", "inspect", VM_JUPYTER_12], capture_output=True
    ).returncode:
        pytest.skip(f"image {VM_JUPYTER_12} missing: run scripts/build-images.sh")


def test_jupyter_card_to_a_cell_run_in_jupyterlab(page, server, made):  # noqa: F811
    password = secrets.token_urlsafe(12)
    page.goto("/ui/catalogue")
    page.get_by_role("link", name="Configure Jupyter with persistence for Notebooks").click()
    page.wait_for_url("**/ui/catalogue/jupyter")
    page.fill("#f-description", "notebooks from the browser")
    page.get_by_role("tab", name="Jupyter", exact=True).click()
    page.fill("#f-jupyter_password", password)
    page.locator("#f-enable_monitoring").check()
    page.get_by_role("tab", name="Resources", exact=True).click()
    page.fill("#f-storage_size", "2")
    page.select_option("#f-num_cpus", "2")
    page.fill("#f-mem_size", "3")
    screenshot(page, "jupyter-form-every-field")
    deploy_button(page).click()
    page.wait_for_url(re.compile(r"/ui/deployments/[0-9a-f-]{36}"))
    dep_id = deployment_id(page)
    made.append(dep_id)
    expect(page.locator("#dep-status")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)

    dep = httpx.get(f"{server}/deployments/{dep_id}", headers=auth(server), timeout=10).json()
    out = dep["outputs"]
    assert password not in json.dumps(dep)
    # the node has the resources the form asked for
    (node,) = containers_of(dep_id)
    limits = subprocess.run(["docker", "inspect", "-f", "{{.HostConfig.NanoCpus}} "
                             "{{.HostConfig.Memory}}", node], capture_output=True, text=True,
                            check=True).stdout.split()  # fmt: skip
    assert limits == ["2000000000", "3000000000"]
    user, endpoint = out["jupyter_user"], out["jupyter_endpoint"]
    # the monitoring asked for in the form runs, behind the hub's credentials
    assert httpx.get(f"{out['monitoring_endpoint']}api/v1/status/buildinfo").status_code == 401
    metrics = httpx.get(f"{out['monitoring_endpoint']}api/v1/status/buildinfo",
                        auth=(user, password), timeout=10)  # fmt: skip
    assert metrics.status_code == 200, metrics.text

    page.get_by_role("tab", name="Outputs").click()
    link = page.locator(f"#outputs a[href='{endpoint}']")
    with page.context.expect_page() as opened:
        link.click()
    hub = opened.value
    hub.wait_for_load_state()
    hub.fill("#username_input", user)
    hub.fill("#password_input", password)
    screenshot(hub, "jupyterhub-login")
    hub.locator("#login_submit").click()
    hub.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=LAB_TIMEOUT_MS)
    launcher = hub.locator(".jp-LauncherCard[data-category='Notebook']").first
    expect(launcher).to_be_visible(timeout=LAB_TIMEOUT_MS)
    screenshot(hub, "jupyterlab-launcher")
    launcher.click()
    editor = hub.locator(".jp-Notebook .jp-Cell .cm-content").first
    expect(editor).to_be_visible(timeout=60_000)
    output = hub.locator(".jp-OutputArea-output").first
    # As a person would: if the first try's keys went elsewhere (JupyterLab's
    # question about its news takes the focus once; a kernel still starting), the
    # first cell is typed and run again.
    for attempt in range(3):
        news = hub.get_by_role("button", name="No", exact=True)
        if news.is_visible():
            news.click()
        editor.click()
        hub.keyboard.press("Control+a")
        hub.keyboard.type("print(6 * 7, 'from the browser')")
        hub.keyboard.press("Shift+Enter")
        try:
            expect(output).to_have_text("42 from the browser", timeout=LAB_TIMEOUT_MS // 3)
            break
        except AssertionError:
            if attempt == 2:
                raise
    screenshot(hub, "jupyterlab-cell-run")
    hub.close()

    delete_from_the_list(page, dep_id)
    assert docker_objects_of(dep_id) == []
