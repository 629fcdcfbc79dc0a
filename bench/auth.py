"""What authentication costs per API call, against the same call with the check skipped.

A real uvicorn server (no workers) on a temp SQLite database answers
``GET /deployments/{id}`` over HTTP with a keep-alive client:
- baseline: the identity dependency overridden to a fixed admin (no token
  checked: the API as it was before authentication);
- a cumulo API token (a digest lookup in the database);
- an OIDC JWT from a real ``oidc-provider-mock`` process (signature checked
  with the cached JWKS);
- an opaque OIDC token (answered from the short cache after the first call).
Also the cost of one password check (argon2id), what a login pays.

Usage: .venv/bin/python bench/auth.py [--requests 400]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "auth"))
from api_list import serving_in_thread
from oidc_provider import CLIENT_ID, login, provider

from cumulo.api.deps import current_identity
from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.auth.passwords import hash_password, verify_password
from cumulo.auth.testing import create_api_user
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app
from cumulo.store.models import Deployment


def measure(url: str, path: str, token: str | None, n: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    out = []
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for _ in range(20):
            client.get(path).raise_for_status()
        for _ in range(n):
            t0 = time.perf_counter()
            client.get(path).raise_for_status()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=400)
    n = ap.parse_args().requests
    rows: dict[str, list[float]] = {}
    with provider() as issuer, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), workers=0, oidc_issuers=issuer, oidc_audience=CLIENT_ID
        )
        engine = Engine(settings)
        with engine.db.session() as s:
            dep = Deployment(
                status="CREATE_COMPLETE", template="t", owner_issuer=LOCAL_ADMIN.issuer,
                owner_subject="admin",
            )  # fmt: skip
            s.add(dep)
        path = f"/deployments/{dep.id}"
        cumulo_token = create_api_user(engine.db, "admin", admin=True).token
        oidc = login(issuer, "root-0002")
        app = build_app(settings, engine=engine, workers=0)
        with serving_in_thread(app) as url:
            rows["cumulo API token"] = measure(url, path, cumulo_token, n)
            rows["OIDC JWT"] = measure(url, path, oidc.id_token, n)
            rows["OIDC opaque (cached)"] = measure(url, path, oidc.access_token, n)
            app.dependency_overrides[current_identity] = lambda: LOCAL_ADMIN
            rows["baseline: no check"] = measure(url, path, None, n)
        engine.close()
    stored = hash_password("correct horse battery staple")
    t0 = time.perf_counter()
    for _ in range(20):
        verify_password(stored, "wrong password")
    argon_ms = (time.perf_counter() - t0) * 1000 / 20
    base = statistics.median(rows["baseline: no check"])
    print(f"GET /deployments/{{id}}, {n} requests each, keep-alive, uvicorn, SQLite")
    print(f"{'':26}{'p50 ms':>9}{'p99 ms':>9}{'p50 ratio':>11}")
    for name, values in rows.items():
        p50, p99 = statistics.median(values), statistics.quantiles(values, n=100)[98]
        print(f"{name:26}{p50:9.2f}{p99:9.2f}{p50 / base:10.2f}x")
    print(f"one argon2id password check (a login): {argon_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
