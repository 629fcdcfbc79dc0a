"""Deleting in a real browser: from My deployments the page stays on the list, the row
leaves it when the deployment is gone, and the deployment's page then says it is deleted."""

from __future__ import annotations

from browser import AXE, screenshot, serious_violations
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared)
    STATUS_TIMEOUT_MS,
    browser,
    containers_of,
    deploy_run_docker,
    expect,
    made,
    page,
    server,
    sink,
)


def test_delete_from_the_list_stays_on_it_and_the_row_leaves(page, server, made):  # noqa: F811
    kept, gone = deploy_run_docker(server), deploy_run_docker(server)
    made.extend([kept, gone])
    page.goto("/ui/deployments?size=25")
    row = page.locator(f"tr[data-deployment='{gone}']")
    expect(row.locator("[data-status]")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    page.on("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/ui/deployments?size=25&done=delete")
    expect(page.get_by_role("status").first).to_contain_text("Deletion requested")
    screenshot(page, "list-delete-requested")
    expect(row).to_have_count(0, timeout=STATUS_TIMEOUT_MS)  # gone: it leaves, live
    expect(page.locator(f"tr[data-deployment='{kept}']")).to_have_count(1)
    assert containers_of(gone) == []
    page.goto(f"/ui/deployments/{gone}")
    expect(page.get_by_role("heading", name="Deployment deleted")).to_be_visible()
    expect(page.get_by_role("tab")).to_have_count(0)
    screenshot(page, "deleted-deployment-page")
    if AXE.exists():
        assert serious_violations(page) == []
