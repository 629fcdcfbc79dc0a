"""Encryption at rest: the key ring under the data directory, tampering and rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.secrets import KEYRING_FILE, SecretBox, SecretError, open_box, rotate_keyring
from cumulo.store.models import Deployment
from cumulo.store.reencrypt import reencrypt_all


def test_key_ring_created_once_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    box = open_box(settings)
    path = tmp_path / KEYRING_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = box.encrypt("s3cret password")
    assert "s3cret" not in token and token.startswith("enc1:")
    # A second start reads the same key: what was stored still decrypts.
    assert open_box(settings).decrypt(token) == "s3cret password"


def test_tampered_or_foreign_values_refused(tmp_path: Path) -> None:
    box = open_box(Settings(data_dir=tmp_path))
    token = box.encrypt("x")
    with pytest.raises(SecretError):
        box.decrypt(token[:-4] + "AAAA")
    with pytest.raises(SecretError):
        SecretBox([SecretBox.new_key()]).decrypt(token)
    with pytest.raises(SecretError):
        box.decrypt("plain text")


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    k1, k2 = SecretBox.new_key().decode(), SecretBox.new_key().decode()
    old = SecretBox([k2.encode()]).encrypt("kept")
    monkeypatch.setenv("CUMULO_SECRET_KEYS", f"{k1},{k2}")
    box = open_box(Settings(data_dir=tmp_path))
    assert not (tmp_path / KEYRING_FILE).exists()
    assert box.decrypt(old) == "kept"
    assert SecretBox([k1.encode()]).decrypt(box.encrypt("new")) == "new"


def test_rotation_reencrypts_every_stored_secret(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    old_box = engine.secrets
    secret = old_box.encrypt("the site password")
    with engine.db.session() as s:
        dep = Deployment(
            status="CREATE_COMPLETE",
            template="t",
            parameters={"password": secret, "nested": [{"token": secret}], "plain": "x"},
            owner_issuer="i",
            owner_subject="s",
        )
        s.add(dep)
    new_box = rotate_keyring(engine.settings)
    assert new_box.key_count == 2
    assert reencrypt_all(engine.db, new_box) == 1
    with engine.db.session() as s:
        params = s.get(Deployment, dep.id).parameters
    assert params["plain"] == "x"
    assert params["password"] != secret
    # Readable with the new key alone: the old one can now be dropped.
    only_new = SecretBox([(tmp_path / KEYRING_FILE).read_bytes().splitlines()[0]])
    assert only_new.decrypt(params["password"]) == "the site password"
    assert only_new.decrypt(params["nested"][0]["token"]) == "the site password"
    engine.close()
