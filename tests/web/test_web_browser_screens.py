"""The dashboard's screens at 1366 px and 390 px (phones) in a real browser: My deployments
as cards, details and SSH keys pages without overflow, a header that folds, the login card
with a red error, a catalogue search that says when nothing matches; axe-core on each."""

from __future__ import annotations

import pytest
from browser import AXE, screenshot, serious_violations
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared)
    CHROMIUM_ARGS,
    STATUS_TIMEOUT_MS,
    browser,
    deploy_run_docker,
    expect,
    made,
    page,
    server,
    sink,
)

WIDTHS = (1366, 390)


def fits(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def accessible(pg) -> None:
    if AXE.exists():
        assert serious_violations(pg) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_screen(page, server, made, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    dep_id = deploy_run_docker(server)
    made.append(dep_id)
    page.goto("/ui/deployments")
    row = page.locator(f"tr[data-deployment='{dep_id}']")
    expect(row.locator("[data-status]")).to_have_text("CREATE_COMPLETE", timeout=STATUS_TIMEOUT_MS)
    phone = width < 700
    # On a phone each deployment is a card: its own box, the labels inside, no table head.
    expect(page.locator("table.deployments thead")).to_be_visible(visible=not phone)
    box = row.bounding_box()
    assert box is not None and box["width"] <= width
    assert fits(page)
    screenshot(page, f"deployments-{width}")
    accessible(page)

    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    if phone:  # the header folds its menu behind a button
        expect(nav).to_be_hidden()
        menu.click()
        expect(nav).to_be_visible()
        expect(menu).to_have_attribute("aria-expanded", "true")
        screenshot(page, f"header-open-{width}")
    else:
        expect(menu).to_be_hidden()
        expect(nav).to_be_visible()

    page.goto(f"/ui/deployments/{dep_id}")
    for tab in ("Overview", "Outputs", "Resources", "Template"):
        page.get_by_role("tab", name=tab).click()
        assert fits(page), tab
    # Words, not TOSCA type names.
    expect(page.locator("#panel-resources")).to_contain_text("Docker container")
    expect(page.locator("#panel-resources")).not_to_contain_text("tosca.nodes")
    screenshot(page, f"details-resources-{width}")
    accessible(page)

    page.goto("/ui/keys")
    page.fill("#f-new-name", f"screen key {width}")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#keys")).to_contain_text(f"screen key {width}")
    assert fits(page)
    screenshot(page, f"keys-{width}")
    accessible(page)

    page.goto("/ui/catalogue")
    page.get_by_label("Search services").fill("zebra accounting")
    expect(page.locator("#no-match")).to_be_visible()
    expect(page.locator("#no-match")).to_contain_text("No service matches “zebra accounting”")
    page.get_by_label("Search services").fill("docker")
    expect(page.locator("#no-match")).to_be_hidden()
    assert fits(page)
    accessible(page)

    page.goto("/ui/catalogue/run-docker")
    field = page.locator("#f-docker_image")
    assert field.bounding_box()["width"] >= min(300, width - 80)  # room for a long image name
    assert fits(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_login_page_is_a_card_with_a_red_error(browser, server, width):  # noqa: F811
    context = browser.new_context(base_url=server, viewport={"width": width, "height": 800})
    pg = context.new_page()
    try:
        pg.goto("/ui/login")
        pg.get_by_label("User name").fill("admin")
        pg.get_by_label("Password").fill("not the password")
        pg.get_by_role("button", name="Log in").click()
        error = pg.get_by_role("alert")
        expect(error).to_be_visible()
        color = error.evaluate("e => getComputedStyle(e).color")
        red, green, blue = (int(c) for c in color[color.index("(") + 1 : -1].split(",")[:3])
        assert red > 2 * green and red > 2 * blue, color
        card = pg.locator("section.login").bounding_box()
        assert card is not None and card["width"] <= min(width, 24 * 16 + 2)
        assert fits(pg)
        screenshot(pg, f"login-error-{width}")
        accessible(pg)
    finally:
        context.close()
