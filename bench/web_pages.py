"""Dashboard pages rendered on the server: p95 under 100 ms for the catalogue and My deployments.

A real uvicorn server (no workers) on a temp SQLite database holding 100
deployments of the caller is asked, over HTTP with a keep-alive client, for
the catalogue, My deployments with all 100 on one page, and one deployment's
details. The baseline, in the same run, is the API's JSON listing of the same
100 deployments (``GET /deployments?size=100``): what a browser-rendered
dashboard would have to fetch before drawing anything.

Usage: .venv/bin/python bench/web_pages.py [--rows 100] [--requests 300]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from api_list import fill, serving_in_thread

from cumulo.auth.testing import create_api_user
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app

TARGET_P95_MS = 100.0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def measure(client: httpx.Client, path: str, params: dict, n: int, expect: str) -> list[float]:
    for _ in range(10):  # warm-up
        client.get(path, params=params).raise_for_status()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path, params=params)
        times.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        if expect not in r.text:
            raise SystemExit(f"{path}: {expect!r} not in the answer")
    return times


def log_in(c: httpx.Client, name: str, password: str) -> None:
    """The dashboard's login form, as a browser posts it."""
    form = c.get("/ui/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    data = {"username": name, "password": password, "csrf": csrf}
    if c.post("/ui/login", data=data).status_code != 303:
        raise SystemExit("the dashboard login failed")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), workers=0)
        engine = Engine(settings)
        fill(engine, args.rows)
        n = args.requests
        app = build_app(settings, engine=engine)
        admin = create_api_user(engine.db, "admin", admin=True)
        with serving_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
            c.headers.update(admin.headers)  # the API's bearer token
            log_in(c, admin.name, admin.password)  # the dashboard's session cookie
            listing = c.get("/deployments", params={"size": args.rows}).json()
            dep_id = listing["content"][0]["uuid"]
            rows = f"({args.rows} deployments)"
            results = {
                "catalogue page": measure(c, "/ui/catalogue", {}, n, "Virtual machine"),
                f"My deployments, {args.rows}/page": measure(
                    c, "/ui/deployments", {"size": args.rows}, n, rows
                ),
                "deployment details": measure(c, f"/ui/deployments/{dep_id}", {}, n, dep_id),
                f"baseline: API JSON, {args.rows}": measure(
                    c, "/deployments", {"size": args.rows}, n, dep_id
                ),
            }
        engine.close()
    print(f"{n} requests each, {args.rows} stored deployments, SQLite, one uvicorn process")
    print(f"{'':32}{'p50 ms':>10}{'p95 ms':>10}")
    for name, xs in results.items():
        print(f"{name:32}{statistics.median(xs):10.2f}{p95(xs):10.2f}")
    base = p95(results[f"baseline: API JSON, {args.rows}"])
    mine = p95(results[f"My deployments, {args.rows}/page"])
    print(f"p95 My deployments page / API JSON listing = {mine / base:.2f}x")
    worst = max(p95(results["catalogue page"]), mine)
    verdict = "PASS" if worst < TARGET_P95_MS else "FAIL"
    print(f"target p95 < {TARGET_P95_MS:.0f} ms for the catalogue and My deployments: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
