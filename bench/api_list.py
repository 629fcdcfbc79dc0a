"""GET /deployments with 10,000 stored deployments, page size 10: p99 under 50 ms.

A real uvicorn server (no workers) on a temp SQLite database is asked for
random pages over HTTP with a keep-alive client. The baseline, in the same
run, asks the same pages after dropping the index that serves the listing
(``ix_deployments_created``), so SQLite must sort the whole table per request.

Usage: .venv/bin/python bench/api_list.py [--rows 10000] [--requests 400]
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import insert

from cumulo.auth.testing import create_api_user
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app
from cumulo.store.models import Deployment, new_uuid

TARGET_P99_MS = 50.0


def fill(engine: Engine, rows: int) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    template = "tosca_definitions_version: tosca_simple_yaml_1_3\n" + "# padding\n" * 40
    values = [
        {
            "id": new_uuid(),
            "created_at": start + timedelta(seconds=i),
            "updated_at": start + timedelta(seconds=i),
            "status": "CREATE_COMPLETE",
            "task": "NONE",
            "template": template,
            "parameters": {"docker_image": "cumulo/httpd", "i": i},
            "outputs": {"endpoints": {"8080": f"http://127.0.0.1:{30000 + i % 1000}"}},
            "owner_issuer": "cumulo-local",
            "owner_subject": "admin",
            "keep_last_attempt": False,
            "version": 1,
        }
        for i in range(rows)
    ]
    with engine.db.session() as s:
        s.execute(insert(Deployment), values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving_in_thread(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free port; its URL."""
    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


def measure(url: str, pages: list[int], token: str) -> list[float]:
    times = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        for page in pages[:20]:  # warm-up
            client.get("/deployments", params={"page": page, "size": 10}).raise_for_status()
        for page in pages:
            t0 = time.perf_counter()
            r = client.get("/deployments", params={"page": page, "size": 10})
            times.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            if len(r.json()["content"]) != 10:
                raise SystemExit(f"page {page}: expected 10 deployments")
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), workers=0)
        engine = Engine(settings)
        t0 = time.perf_counter()
        fill(engine, args.rows)
        print(f"stored {args.rows} deployments in {time.perf_counter() - t0:.1f} s")
        rng = random.Random(7)
        pages = [rng.randrange(args.rows // 10) for _ in range(args.requests)]
        token = create_api_user(engine.db, "admin", admin=True).token
        with serving_in_thread(build_app(settings, engine=engine)) as url:
            indexed = measure(url, pages, token)
            with engine.db.engine.begin() as conn:
                conn.exec_driver_sql("DROP INDEX ix_deployments_created")
            unindexed = measure(url, pages, token)
        engine.close()
    print(f"GET /deployments?size=10 over {args.rows} rows, {args.requests} requests each")
    print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}")
    for name, xs in (("indexed (cumulo)", indexed), ("baseline: no index", unindexed)):
        print(f"{name:24}{statistics.median(xs):10.2f}{p99(xs):10.2f}")
    ratio = p99(unindexed) / p99(indexed)
    verdict = "PASS" if p99(indexed) < TARGET_P99_MS else "FAIL"
    print(f"p99 baseline / cumulo = {ratio:.1f}x; target p99 < {TARGET_P99_MS:.0f} ms: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
