"""The installation's key ring: ``CUMULO_SECRET_KEYS``, else a file under the data directory.

The file (``secret.keys``, mode 0600) holds one Fernet key per line, the
primary first; it is created with one key at first use. Rotation prepends a
new key and keeps the old ones, so existing values still decrypt until
``reencrypt_all`` has rewritten them.
"""

from __future__ import annotations

import os
from pathlib import Path

from cumulo.config import Settings
from cumulo.secrets.box import SecretBox

KEYRING_FILE = "secret.keys"


def _keyring_path(settings: Settings) -> Path:
    return settings.data_dir / KEYRING_FILE


def _write_keys(path: Path, keys: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(b"\n".join(keys) + b"\n")
    os.replace(tmp, path)


def _read_keys(path: Path) -> list[bytes]:
    return [line.strip() for line in path.read_bytes().splitlines() if line.strip()]


def open_box(settings: Settings) -> SecretBox:
    """The box of this installation, creating its key ring at first use."""
    if settings.secret_keys:
        return SecretBox([k.strip().encode() for k in settings.secret_keys.split(",") if k.strip()])
    path = _keyring_path(settings)
    if not path.exists():
        _write_keys(path, [SecretBox.new_key()])
    return SecretBox(_read_keys(path))


def rotate_keyring(settings: Settings) -> SecretBox:
    """Prepend a new primary key to the key ring file; the box with every key."""
    if settings.secret_keys:
        raise ValueError(
            "the keys come from CUMULO_SECRET_KEYS: rotate by putting a new key first there"
        )
    path = _keyring_path(settings)
    old = _read_keys(path) if path.exists() else []
    _write_keys(path, [SecretBox.new_key(), *old])
    return SecretBox(_read_keys(path))
