"""SSH public keys checked before they are trusted, and ed25519 key pairs made for users.

A public key is one line ``TYPE BASE64 [COMMENT]``: no ``authorized_keys``
options (``command=``, ``from=``...), a known type, a body that decodes as that
type, RSA at least 2048 bits.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from cumulo.errors import BadRequest

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
MIN_RSA_BITS = 2048
MAX_KEY_CHARS = 16384
_COMMENT_RE = re.compile(r"^[\w.@+:=/ -]{0,200}$")


@dataclass(frozen=True)
class PublicKey:
    line: str  # normalised: "TYPE BASE64 COMMENT"
    key_type: str
    fingerprint: str  # SHA256:..., as ssh-keygen -l prints it


def _fingerprint(blob: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def parse_public_key(text: str) -> PublicKey:
    """The key, or ``BadRequest`` saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("public_key: empty; paste the content of ~/.ssh/id_ed25519.pub")
    if len(text) > MAX_KEY_CHARS:
        raise BadRequest("public_key: too long to be an SSH public key")
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) != 1:
        raise BadRequest("public_key: give exactly one key, on one line")
    if "PRIVATE KEY" in text:
        raise BadRequest("public_key: this is a private key; give the .pub file")
    parts = lines[0].split(None, 2)
    if parts[0] not in KEY_TYPES:
        if any(t in lines[0] for t in KEY_TYPES):
            raise BadRequest(
                "public_key: options before the key type (command=, from=, ...) are not allowed"
            )
        raise BadRequest(f"public_key: unknown key type {parts[0][:40]!r}; use ssh-ed25519")
    if len(parts) < 2:
        raise BadRequest("public_key: the key body after the type is missing")
    key_type, body = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    if not _COMMENT_RE.match(comment):
        raise BadRequest("public_key: the comment after the key has unusual characters")
    try:
        blob = base64.b64decode(body, validate=True)
    except ValueError:
        raise BadRequest("public_key: the key body is not base64") from None
    if not key_type.startswith("sk-"):
        try:
            key = serialization.load_ssh_public_key(f"{key_type} {body}".encode())
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"public_key: not a valid {key_type} key") from exc
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
            raise BadRequest(f"public_key: RSA keys need at least {MIN_RSA_BITS} bits")
    line = f"{key_type} {body}" + (f" {comment}" if comment else "")
    return PublicKey(line, key_type, _fingerprint(blob))


def generate_ed25519(comment: str) -> tuple[str, PublicKey]:
    """A new key pair: the private key (OpenSSH PEM) and its public key."""
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    return pem, parse_public_key(f"{public} {comment}")
