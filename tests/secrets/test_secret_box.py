"""Encryption at rest: the key ring under the data directory, purposes, tampering and rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cumulo.config import Settings
from cumulo.secrets import (
    KEYRING_FILE,
    LEGACY_PREFIX,
    Purpose,
    SecretBox,
    SecretError,
    open_box,
)

INPUT = Purpose.DEPLOYMENT_INPUT


def test_key_ring_created_once_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    box = open_box(settings)
    path = tmp_path / KEYRING_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = box.seal("s3cret password", INPUT, "dep/pw")
    assert "s3cret" not in token and token.startswith("enc2:")
    # A second start reads the same key: what was stored still opens.
    assert open_box(settings).open(token, INPUT, "dep/pw") == "s3cret password"


def test_tampered_or_foreign_values_refused(tmp_path: Path) -> None:
    box = open_box(Settings(data_dir=tmp_path))
    token = box.seal("x", Purpose.SESSION)
    with pytest.raises(SecretError):
        box.open(token[:-4] + "AAAA", Purpose.SESSION)
    with pytest.raises(SecretError):
        SecretBox([SecretBox.new_key()]).open(token, Purpose.SESSION)
    with pytest.raises(SecretError):
        box.open("plain text", Purpose.SESSION)


def test_a_value_opens_only_for_its_purpose_and_context() -> None:
    box = SecretBox([SecretBox.new_key()])
    cookie = box.seal('{"sid": "s"}', Purpose.SESSION)
    for purpose in Purpose:
        if purpose is not Purpose.SESSION:
            with pytest.raises(SecretError, match=purpose.value):
                box.open(cookie, purpose)
    password = box.seal("pw", INPUT, "dep-1/db_password")
    for context in ("dep-2/db_password", "dep-1/other", ""):
        with pytest.raises(SecretError):
            box.open(password, INPUT, context)
    assert box.open(password, INPUT, "dep-1/db_password") == "pw"


def test_values_sealed_with_the_ring_itself_open_only_as_legacy() -> None:
    """``enc1:`` values (before purposes) open from cumulo's own columns, never from a client."""
    key = SecretBox.new_key()
    old = LEGACY_PREFIX + Fernet(key).encrypt(b"kept").decode()
    box = SecretBox([key])
    with pytest.raises(SecretError):
        box.open(old, Purpose.SESSION)
    assert box.open(old, Purpose.SITE_CREDENTIALS, "site", legacy=True) == "kept"
    migrated = box.reseal(old, Purpose.SITE_CREDENTIALS, "site")
    assert migrated.startswith("enc2:")
    assert box.open(migrated, Purpose.SITE_CREDENTIALS, "site") == "kept"


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    k1, k2 = SecretBox.new_key().decode(), SecretBox.new_key().decode()
    old = SecretBox([k2.encode()]).seal("kept", INPUT, "c")
    monkeypatch.setenv("CUMULO_SECRET_KEYS", f"{k1},{k2}")
    box = open_box(Settings(data_dir=tmp_path))
    assert not (tmp_path / KEYRING_FILE).exists()
    assert box.open(old, INPUT, "c") == "kept"
    assert SecretBox([k1.encode()]).open(box.seal("new", INPUT, "c"), INPUT, "c") == "new"
