"""The dashboard in a real browser against a real ``cumulo serve`` on the local Docker site.

Playwright drives Debian's Chromium (never a downloaded one). Screenshots are
kept under ``var/test-artifacts/web/``; the first paint of each main page is
written to ``first-paint.txt`` there.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser import (
    ARTIFACTS,
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    first_paint_ms,
    form_cards,
    key_pair,
    screenshot,
    serious_violations,
)

sys.path.insert(0, str(Path(__file__).parent.parent / "e2e"))
from e2e_helpers import ADMIN_PASSWORDS, auth, containers_of, docker_problem, serving
from smtp_sink import SmtpSink

from cumulo import catalogue

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = pytest.mark.e2e
STATUS_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    s = SmtpSink()
    yield s
    s.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (scripts/setup.sh)")
    problem = docker_problem()
    if problem:
        pytest.skip(f"browser tests deploy on the real Docker engine: {problem}")
    (ARTIFACTS / "first-paint.txt").unlink(missing_ok=True)
    mail = {**os.environ, "CUMULO_SMTP_HOST": "127.0.0.1", "CUMULO_SMTP_PORT": str(sink.port)}
    with serving(tmp_path_factory.mktemp("cumulo-web"), "--workers", "2", env=mail) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    log_in(pg, server)
    yield pg
    screenshot(pg, f"{request.node.name}-last")
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def made(server: str) -> Iterator[list[str]]:
    """Ids of the deployments a test made: deleted at the end, even when it failed."""
    ids: list[str] = []
    yield ids
    for dep_id in ids:
        # Shown by pytest when the test failed: why a deployment did not get where expected.
        got = httpx.get(f"{server}/deployments/{dep_id}", headers=auth(server), timeout=10)
        if got.status_code == 200:
            print(f"deployment {dep_id}: {got.json()['status']}: {got.json().get('statusReason')}")
            log = httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server), timeout=10)
            print(log.text[-4000:])
        try:
            r = httpx.delete(f"{server}/deployments/{dep_id}", headers=auth(server), timeout=10)
            deadline = time.monotonic() + 60
            while r.status_code != 404 and time.monotonic() < deadline:
                time.sleep(0.2)
                r = httpx.get(f"{server}/deployments/{dep_id}", headers=auth(server), timeout=10)
        finally:
            leftovers = containers_of(dep_id)
            if leftovers:
                subprocess.run(["docker", "rm", "-f", *leftovers], capture_output=True)
            label = f"label=cumulo.deployment={dep_id}"
            for kind in ("network", "volume"):  # the deployment's own, after its containers
                names = subprocess.run(["docker", kind, "ls", "-q", "--filter", label],
                                       capture_output=True, text=True).stdout.split()  # fmt: skip
                if names:
                    subprocess.run(["docker", kind, "rm", *names], capture_output=True)


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now (the engine may take it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_in(page, server: str) -> None:
    """The login form, with the password the server's first start printed."""
    page.goto("/ui/catalogue")  # anonymous: sent to the login page
    assert "/ui/login" in page.url
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORDS[server])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/ui/catalogue")


def deploy_run_docker(server: str) -> str:
    """A Run docker deployment made through the API; its id."""
    body = {
        "template": catalogue.find("run-docker").read_text(),
        "parameters": {"docker_image": "cumulo/httpd", "docker_tag": "1"},
    }
    r = httpx.post(f"{server}/deployments", json=body, headers=auth(server), timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def deployment_id(page) -> str:
    m = re.search(r"/ui/deployments/([0-9a-f-]{36})", page.url)
    assert m, page.url
    return m.group(1)


def deploy_button(page):
    return page.get_by_role("button", name="Deploy", exact=True)


def record_paint(name: str, ms: float) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "first-paint.txt").open("a") as f:
        f.write(f"{name}\t{ms:.0f} ms\n")


def test_catalogue_search_and_first_paint(page):
    page.goto("/ui/catalogue")
    painted = first_paint_ms(page)
    record_paint("/ui/catalogue (first page of the run)", painted)
    assert painted > 0
    expect(page.get_by_role("heading", name="Virtual machine", exact=True)).to_be_visible()
    page.get_by_label("Search services").fill("docker")  # filters as one types
    expect(page.get_by_role("heading", name="Virtual machine", exact=True)).to_be_hidden()
    expect(page.get_by_role("heading", name="Run docker")).to_be_visible()
    screenshot(page, "catalogue-search")


def test_form_validation_errors_are_shown_next_to_their_field(page, server):
    page.goto("/ui/catalogue/vm")
    deploy_button(page).click()  # the browser's check: the key is required
    expect(page.locator("#e-ssh_public_key")).not_to_be_empty()
    page.fill("#f-ssh_public_key", "my key")
    expect(page.locator("#e-ssh_public_key")).to_contain_text("Not an SSH public key")
    page.fill("#f-mem_size", "64")
    expect(page.locator("#e-mem_size")).to_have_text("Must be at most 8 GB")
    screenshot(page, "vm-form-browser-errors")
    assert "/ui/catalogue/vm" in page.url  # nothing was sent
    # Past the browser's checks (no JavaScript validation), the server says the same.
    page.evaluate("document.querySelector('form.wizard').submit()")
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_contain_text("problem")
    expect(page.locator("#e-ssh_public_key")).to_contain_text("Not an SSH public key")
    expect(page.locator("#e-mem_size")).to_have_text("Must be at most 8 GB")
    expect(page.locator("#f-mem_size")).to_have_value("64")
    screenshot(page, "vm-form-server-errors")


def test_deploy_run_docker_watch_it_live_open_its_url_update_and_delete(
    page, browser, server, made, sink
):
    page.goto("/ui/catalogue/run-docker")
    page.fill("#f-docker_image", "cumulo/httpd")
    page.fill("#f-docker_tag", "1")
    page.locator("#f-environment_variables").get_by_role("button", name="Add").click()
    page.get_by_label("Key").fill("GREETING")
    page.get_by_label("Value").fill("hello")
    host_port = free_port()  # docker run -p syntax: HOST:CONTAINER
    page.get_by_role("tab", name="Ports").click()
    page.locator("#f-docker_ports").get_by_role("button", name="Add").click()
    page.locator("#f-docker_ports input").fill(f"{host_port}:8080")
    page.get_by_role("tab", name="Advanced").click()
    page.fill("#f-description", "browser web")
    page.get_by_label("Send a confirmation e-mail when complete").check()
    page.fill("#f-notify_email", "alice@example.org")
    screenshot(page, "run-docker-form")
    # My deployments, open in a second tab, must follow the status without a reload.
    watcher = page.context.new_page()
    deploy_button(page).click()
    page.wait_for_url(re.compile(r"/ui/deployments/[0-9a-f-]{36}"))
    dep_id = deployment_id(page)
    made.append(dep_id)
    watcher.goto("/ui/deployments")
    watcher.evaluate("window.notReloaded = true")
    row = watcher.locator(f"tr[data-deployment='{dep_id}']")
    expect(row.locator("[data-status]")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    assert watcher.evaluate("window.notReloaded") is True
    expect(page.locator("#dep-status")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    expect(page.locator("#scheduling")).to_contain_text("usable")  # why this site
    page.get_by_role("tab", name="Outputs").click()
    link = page.locator("#outputs a").first
    expect(link).to_have_attribute("href", f"http://127.0.0.1:{host_port}")
    screenshot(page, "run-docker-outputs")
    if AXE.exists():
        assert serious_violations(page) == []
    with page.context.expect_page() as opened:
        link.click()
    service = opened.value
    service.wait_for_load_state()
    expect(service.locator("h1")).to_have_text("cumulo httpd")
    service.close()
    page.get_by_role("tab", name="Log").click()
    expect(page.locator("#log")).to_contain_text("CREATE_COMPLETE")
    # The engine's callback made the dashboard mail the owner.
    deadline = time.monotonic() + 30
    while not sink.messages and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [m["Subject"] for m in sink.messages] == ["cumulo: browser web is CREATE_COMPLETE"]
    # Update the one updatable input: the container gets the new environment.
    page.get_by_role("tab", name="Update").click()
    page.locator("#panel-update input[name='p.environment_variables.value']").fill("bonjour")
    page.get_by_role("button", name="Update", exact=True).click()
    expect(page.locator("#dep-status")).to_have_text("UPDATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    (container,) = containers_of(dep_id)
    env = subprocess.run(
        ["docker", "inspect", "-f", "{{json .Config.Env}}", container],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "GREETING=bonjour" in env
    page.on("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#dep-status")).to_have_text("DELETED", timeout=STATUS_TIMEOUT_MS)
    expect(row).to_have_count(0, timeout=STATUS_TIMEOUT_MS)  # the list drops it live
    assert containers_of(dep_id) == []
    watcher.close()


def test_deploy_a_vm_from_the_form_and_log_in_with_the_ssh_command(page, server, made, tmp_path):
    key = key_pair(tmp_path)
    # Upload the public key on the SSH keys page, then pick it in the wizard.
    page.goto("/ui/keys")
    page.fill("#f-name", "browser laptop")
    page.fill("#f-public_key", key.with_suffix(".pub").read_text().strip())
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("tr[data-key='browser laptop']")).to_be_visible()
    screenshot(page, "ssh-keys")
    page.goto("/ui/catalogue/vm")
    page.get_by_label("Use one of your SSH keys").select_option(label="browser laptop")
    expect(page.locator("#f-ssh_public_key")).to_have_value(
        key.with_suffix(".pub").read_text().strip()
    )
    page.select_option("#f-num_cpus", "2")
    page.fill("#f-mem_size", "512")
    page.select_option("select[name='p.mem_size.unit']", "MB")
    deploy_button(page).click()
    page.wait_for_url(re.compile(r"/ui/deployments/[0-9a-f-]{36}"))
    made.append(deployment_id(page))
    expect(page.locator("#dep-status")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    page.get_by_role("tab", name="Outputs").click()
    command = page.locator("#ssh-command").inner_text()
    assert re.fullmatch(r"ssh -p \d+ \S+@127\.0\.0\.1", command), command
    screenshot(page, "vm-outputs")
    options = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    ssh = [*command.split(), "-i", str(key), *options, "-o", "BatchMode=yes", "hostname"]
    done = subprocess.run(ssh, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (scripts/setup.sh)")
def test_no_serious_accessibility_violations_on_the_main_pages(page, server, made):
    made.append(deploy_run_docker(server))  # the lists and the admin's views have a row
    forms = [f"/ui/catalogue/{n}" for n in form_cards()]
    admin = ["/ui/admin", "/ui/admin/deployments"]
    pages = ["/ui/catalogue", *forms, "/ui/deployments", f"/ui/deployments/{made[0]}",
             "/ui/keys", *admin]  # fmt: skip
    found = {}
    for path in pages:
        page.goto(path)
        record_paint(path, first_paint_ms(page))
        found[path] = serious_violations(page)
        screenshot(page, f"page{path}")
    # A form the server sent back with its errors marked.
    page.goto("/ui/catalogue/vm")
    page.fill("#f-mem_size", "64")
    page.evaluate("document.querySelector('form.wizard').submit()")
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_contain_text("problem")
    found["/ui/catalogue/vm (with errors)"] = serious_violations(page)
    # The forms and the admin's pages on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in [*forms, *admin]:
        page.goto(path)
        found[f"{path} at 390 px"] = serious_violations(page)
    assert found == {p: [] for p in found}
