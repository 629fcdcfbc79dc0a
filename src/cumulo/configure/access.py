"""The SSH key cumulo logs in with to configure a deployment's nodes.

One ed25519 key pair per deployment, derived from the installation's
configuration secret (``configure.key`` under the data directory, 32 random
bytes, mode 0600, made at first use) and the deployment id: nothing per
deployment is stored, a worker that takes a job over derives the same key,
and the secret key ring's rotation does not lock cumulo out of running VMs.
The public key is installed for the deployment owner's account (with sudo)
next to the user's own keys; the private key only ever exists in a 0600 file
of the run's private folder, removed after the run.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SECRET_FILE = "configure.key"


@dataclass(frozen=True)
class AccessKey:
    private_openssh: bytes
    public_line: str


def _secret(data_dir: Path) -> bytes:
    path = data_dir / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    return path.read_bytes()


def access_key(data_dir: Path, deployment_id: str) -> AccessKey:
    seed = hmac.new(_secret(data_dir), f"configure:{deployment_id}".encode(), hashlib.sha256)
    key = Ed25519PrivateKey.from_private_bytes(seed.digest())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return AccessKey(private, f"{public.decode()} cumulo-configure")
