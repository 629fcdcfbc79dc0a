"""Helpers of the attack suite: a real ``cumulo serve`` on the real Docker engine, with two
non-admin users, ``mallory`` (the attacker) and ``alice`` (the victim), in different groups.

Every attack goes through the public API as ``mallory`` would send it; tests assert on the host
(marker files, ``docker inspect`` of what was created, files under the data directory).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from e2e_helpers import CUMULO, FINAL

# The first lines of the suite's templates (INDIGO's types through cumulo's import map).
TOSCA_HEADER = """tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
topology_template:"""


@dataclass
class SharedSite:
    url: str
    data: Path
    tokens: dict[str, str]  # user name -> API token
    passwords: dict[str, str] = field(default_factory=dict)  # user name -> password (dashboard)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def post(self, user: str, template: str, parameters: dict[str, Any] | None = None,
             **extra: Any) -> httpx.Response:  # fmt: skip
        body = {"template": template, "parameters": parameters or {}, **extra}
        return httpx.post(f"{self.url}/deployments", headers=self.headers(user), json=body,
                          timeout=60)  # fmt: skip

    def get(self, user: str, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=self.headers(user), timeout=30)

    def deploy(self, user: str, template: str, parameters: dict[str, Any] | None = None,
               timeout: float = 180, **extra: Any) -> dict[str, Any]:  # fmt: skip
        """POST (which must be accepted) and wait for a final status; the deployment's body."""
        r = self.post(user, template, parameters, **extra)
        assert r.status_code == 201, r.text
        return self.wait_final(user, r.json()["uuid"], timeout)

    def wait_final(self, user: str, dep_id: str, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = self.get(user, f"/deployments/{dep_id}").json()
            if body["status"] in FINAL:
                return body
            time.sleep(0.2)
        pytest.fail(f"deployment {dep_id} not final after {timeout} s: {body}")

    def remove(self, user: str, dep_id: str, timeout: float = 120) -> None:
        """DELETE and wait until the deployment is gone (nothing of it left)."""
        httpx.delete(f"{self.url}/deployments/{dep_id}", headers=self.headers(user), timeout=30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(user, f"/deployments/{dep_id}").status_code == 404:
                return
            time.sleep(0.2)
        pytest.fail(f"deployment {dep_id} still there {timeout} s after DELETE")


def server_side(data: Path, *args: str) -> str:
    done = subprocess.run([CUMULO, *args, "--data-dir", str(data)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def docker_json(*args: str) -> Any:
    import json

    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)
