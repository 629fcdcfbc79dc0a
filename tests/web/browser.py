"""Helpers of the browser tests: Debian's Chromium driven by Playwright, screenshots, axe-core."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CUMULO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "var" / "test-artifacts" / "web"


def key_pair(folder: Path, name: str = "id_ed25519") -> Path:
    """A new passphrase-less SSH key in ``folder``: the private key's path (``.pub`` beside)."""
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def form_cards() -> list[str]:
    """The catalogue cards whose forms the browser tests cover: all but the notebooks' (Jupyter
    and its kin, reworked with their templates in issue 16)."""
    from cumulo import catalogue

    return [
        n for n in catalogue.names() if catalogue.entry(n).metadata.get("category") != "notebooks"
    ]


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot kept as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def first_paint_ms(page: Any) -> float:
    """The browser's first-contentful-paint of the page just loaded, in milliseconds."""
    return float(
        page.evaluate(
            """() => new Promise((resolve) => {
                const seen = performance.getEntriesByName("first-contentful-paint")[0];
                if (seen) return resolve(seen.startTime);
                new PerformanceObserver((list) => {
                    const e = list.getEntriesByName("first-contentful-paint")[0];
                    if (e) resolve(e.startTime);
                }).observe({type: "paint", buffered: true});
                setTimeout(() => resolve(-1), 5000);
            })"""
        )
    )
