"""``/users/me/keys``: validated uploads, generated pairs (private key encrypted, owner-only),
deletion, the audit trail; a VM template's key input filled from the owner's key."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from cumulo import catalogue
from cumulo.engine.runtime import Engine
from cumulo.secrets import is_encrypted
from cumulo.secrets.ssh_keys import generate_ed25519
from cumulo.store.account_models import SshKey
from cumulo.store.models import Deployment


def test_upload_list_refuse_bad_keys_and_delete(
    client: TestClient, make_user: Callable, engine: Engine
) -> None:
    alice = make_user("alice", groups=("physics",)).headers
    _, pub = generate_ed25519("alice@laptop")
    r = client.post("/users/me/keys", json={"name": "laptop", "publicKey": pub.line}, headers=alice)
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["fingerprint"] == pub.fingerprint and not key["hasPrivateKey"]
    again = client.post("/users/me/keys", json={"name": "x", "publicKey": pub.line}, headers=alice)
    assert again.status_code == 409
    bad = {
        f'command="rm -rf /" {pub.line}': "options",
        "garbage": "unknown key type",
        "ssh-ed25519 AAAAnotakey": "not",
        f"{pub.line}\n{pub.line}": "one key",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDdKr3": "not",
    }
    for text, why in bad.items():
        r = client.post("/users/me/keys", json={"name": "b", "publicKey": text}, headers=alice)
        assert r.status_code == 400 and why in r.json()["message"], (text, r.text)
    assert client.post("/users/me/keys", json={"name": "n"}, headers=alice).status_code == 400
    listed = client.get("/users/me/keys", headers=alice).json()["content"]
    assert [k["name"] for k in listed] == ["laptop"]
    # Another user neither sees nor deletes it.
    bob = make_user("bob").headers
    assert client.get("/users/me/keys", headers=bob).json()["content"] == []
    assert client.delete(f"/users/me/keys/{key['id']}", headers=bob).status_code == 404
    assert client.delete(f"/users/me/keys/{key['id']}", headers=alice).status_code == 204
    assert client.get("/users/me/keys", headers=alice).json()["content"] == []
    assert client.get("/users/me/keys", headers={"Authorization": ""}).status_code == 401


def test_generated_pair_private_key_encrypted_and_only_for_its_owner(
    client: TestClient, make_user: Callable, engine: Engine
) -> None:
    alice = make_user("alice").headers
    r = client.post("/users/me/keys", json={"name": "cumulo", "generate": True}, headers=alice)
    assert r.status_code == 201
    key = r.json()
    assert key["hasPrivateKey"] and key["publicKey"].startswith("ssh-ed25519 ")
    with engine.db.session() as s:
        stored = s.get(SshKey, key["id"]).private_key
    assert is_encrypted(stored) and "PRIVATE KEY" not in stored
    pem = client.get(f"/users/me/keys/{key['id']}/private", headers=alice)
    assert pem.status_code == 200 and pem.headers["cache-control"] == "no-store"
    private = serialization.load_ssh_private_key(pem.text.encode(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert key["publicKey"].startswith(public.decode())
    bob = make_user("bob").headers
    assert client.get(f"/users/me/keys/{key['id']}/private", headers=bob).status_code == 404
    # Key changes are audited; only admins read the audit trail.
    assert client.get("/audit", headers=alice).status_code == 403
    trail = client.get("/audit").json()["content"]  # the client is the admin
    actions = {(e["actor"], e["action"]) for e in trail}
    assert ("alice@cumulo-local", "ssh-key-generate") in actions
    assert ("alice@cumulo-local", "ssh-key-download") in actions


def test_me_and_a_vm_gets_the_owners_key_without_typing_it(
    client: TestClient, make_user: Callable, engine: Engine
) -> None:
    alice = make_user("alice", groups=("physics",)).headers
    assert client.get("/users/me", headers=alice).json() == {
        "issuer": "cumulo-local",
        "subject": "alice",
        "name": "alice",
        "groups": ["physics"],
        "admin": False,
    }
    vm = catalogue.find("vm").read_text()
    r = client.post("/deployments", json={"template": vm}, headers=alice)
    assert r.status_code == 400 and "ssh_public_key" in r.json()["message"]  # no key yet
    _, pub = generate_ed25519("alice@laptop")
    client.post("/users/me/keys", json={"name": "l", "publicKey": pub.line}, headers=alice)
    r = client.post("/deployments", json={"template": vm}, headers=alice)
    assert r.status_code == 201, r.text
    with engine.db.session() as s:
        assert s.get(Deployment, r.json()["uuid"]).parameters["ssh_public_key"] == pub.line
