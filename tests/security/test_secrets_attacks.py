"""Secrets attacks by ``mallory``: cumulo as a decryption oracle (class 9), a sealed value used
for another purpose, and a password that comes back as an output or lies in clear on disk
(classes 8 and 12c)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from attack_site import SharedSite
from dashboard_client import dashboard_login, session_cookie

from cumulo.secrets import KEYRING_FILE, Purpose, SecretBox, deployment_input

pytestmark = pytest.mark.e2e

ECHO = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    label: {type: string}
    api_token: {type: string}
  node_templates:
    nothing:
      type: tosca.nodes.Root
  outputs:
    label: {value: {get_input: label}}
    api_token: {value: {get_input: api_token}}
"""
PASSWORD_OUTPUT = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    db_password: {type: string}
    db_name: {type: string}
  node_templates:
    nothing:
      type: tosca.nodes.Root
  outputs:
    password: {value: {get_input: db_password}}
    dsn: {value: {concat: ["postgres://app:", {get_input: db_password}, "@db/x"]}}
    db_name: {value: {get_input: db_name}}
"""
WITHHELD = "(withheld: derived from a sensitive input)"


def _stored_parameters(data: Path, dep_id: str) -> dict:
    with sqlite3.connect(data / "cumulo.db") as db:
        (raw,) = db.execute("SELECT parameters FROM deployments WHERE id = ?", (dep_id,)).fetchone()
    return json.loads(raw)


def _files_holding(data: Path, secret: str) -> list[str]:
    """Every file under the data directory (database, logs, projects) that holds ``secret``."""
    needle = secret.encode()
    return [str(p) for p in data.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_a_submitted_ciphertext_is_never_decrypted(shared_site: SharedSite) -> None:
    """Class 9: mallory's own session cookie (and a legacy-looking copy) sent as parameters
    are kept as the text she sent (and, looking like secrets, kept as secrets); the session
    inside is never opened into her outputs."""
    with dashboard_login(shared_site, "mallory") as c:
        cookie = session_cookie(c)
    assert cookie and cookie.startswith("enc2:")
    legacy_looking = "enc1:" + cookie.removeprefix("enc2:")
    params = {"label": cookie, "api_token": legacy_looking}
    body = shared_site.deploy("mallory", ECHO, params)
    dep_id = body["uuid"]
    try:
        assert body["status"] == "CREATE_COMPLETE", body.get("statusReason")
        out = json.dumps(body["outputs"])
        assert '"sid"' not in out and "csrf" not in out  # the session's content never shows
        assert body["outputs"] == {"label": WITHHELD, "api_token": WITHHELD}
        stored = _stored_parameters(shared_site.data, dep_id)
        assert cookie not in json.dumps(stored)
        # Sealed (for this deployment and input) as the very text she sent, which is what
        # the engine planned with: nothing was opened from it.
        keys = (shared_site.data / KEYRING_FILE).read_bytes().splitlines()
        box = SecretBox(keys)
        for name, sent in params.items():
            context = deployment_input(dep_id, name)
            assert box.open(stored[name], Purpose.DEPLOYMENT_INPUT, context) == sent
    finally:
        shared_site.remove("mallory", dep_id)


def test_a_sealed_value_does_not_open_for_another_purpose(shared_site: SharedSite) -> None:
    """mallory's session cookie offered as the dashboard's e-mail notification token: refused
    as unknown, and she learns nothing of what is inside."""
    with dashboard_login(shared_site, "mallory") as c:
        cookie = session_cookie(c)
    token = cookie.removeprefix("enc2:")
    body = {"uuid": "00000000-0000-0000-0000-000000000000", "status": "CREATE_COMPLETE"}
    r = httpx.post(f"{shared_site.url}/ui/notify/{token}", json=body, timeout=30)
    assert r.status_code == 404 and "no such notification" in r.text, r.text
    assert "sid" not in r.text


def test_a_password_never_comes_back_nor_lies_in_clear(shared_site: SharedSite) -> None:
    """12c and 8: ``get_input`` of a password as an output (as is, or inside a concat) is
    withheld in every answer; no file under the data directory holds the password."""
    password = "Mallory-Pw-" + "x7Qz" * 4
    params = {"db_password": password, "db_name": "science"}
    body = shared_site.deploy("mallory", PASSWORD_OUTPUT, params)
    dep_id = body["uuid"]
    try:
        assert body["status"] == "CREATE_COMPLETE", body.get("statusReason")
        assert body["outputs"] == {"password": WITHHELD, "dsn": WITHHELD, "db_name": "science"}
        for path in ("", "/log", "/resources", "/template"):
            answer = shared_site.get("mallory", f"/deployments/{dep_id}{path}").text
            assert password not in answer, path
        assert password not in shared_site.get("mallory", "/deployments").text
        with dashboard_login(shared_site, "mallory") as c:
            page = c.get(f"/ui/deployments/{dep_id}").text
        assert password not in page and "science" in page
        assert _files_holding(shared_site.data, password) == []
    finally:
        shared_site.remove("mallory", dep_id)
