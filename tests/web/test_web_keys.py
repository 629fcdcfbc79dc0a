"""SSH keys from the dashboard: upload (validated), create a pair, download, delete."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOl3uBNUq0Bz0uG7pGZCjY2s0kCq0p4Vj1g9iYp9A3Zb me@host"


def test_upload_create_download_and_delete_keys(client, tmp_path: Path):
    r = client.post("/ui/keys", data={"name": "laptop", "public_key": KEY})
    assert r.status_code == 200 and "The key was added." in r.text
    assert 'data-key="laptop"' in r.text
    r = client.post("/ui/keys", data={"name": "made", "generate": "true"})
    assert "A new key pair was created" in r.text
    link = re.search(r'href="(/ui/keys/[^"]+/private)"', r.text)
    assert link, "a generated pair can be downloaded"
    pem = client.get(link.group(1))
    assert pem.status_code == 200 and "PRIVATE KEY" in pem.text
    assert "attachment" in pem.headers["content-disposition"]
    (tmp_path / "k").write_text(pem.text)
    (tmp_path / "k").chmod(0o600)
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(tmp_path / "k")], capture_output=True, text=True
    )
    assert derived.returncode == 0 and derived.stdout.split()[1] in r.text
    key_id = re.search(r'action="/ui/keys/([^/"]+)/delete"', r.text).group(1)
    r = client.post(f"/ui/keys/{key_id}/delete")
    assert r.status_code == 200 and "The key was deleted." in r.text
    assert r.text.count("data-key=") == 1


def test_a_bad_key_is_refused_with_the_reason_and_what_was_typed(client):
    r = client.post("/ui/keys", data={"name": "bad", "public_key": "ssh-ed25519 garbage"})
    assert r.status_code == 400
    assert 'id="key-error"' in r.text and "ssh-ed25519 garbage" in r.text
    r = client.post("/ui/keys", data={"name": "opts", "public_key": 'command="x" ' + KEY})
    assert r.status_code == 400


def test_the_wizard_offers_the_users_keys(client):
    client.post("/ui/keys", data={"name": "laptop", "public_key": KEY})
    r = client.get("/ui/catalogue/vm")
    assert "Use one of my SSH keys" in r.text and ">laptop</option>" in r.text
