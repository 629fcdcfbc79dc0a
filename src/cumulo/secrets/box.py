"""``SecretBox``: authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256) with key rotation.

An encrypted value is a string ``enc1:<fernet token>``, so it can live in any
text or JSON column and be recognised (``is_encrypted``) when keys are rotated.
The first key of the ring encrypts; every key decrypts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from cumulo.errors import CumuloError

ENCRYPTED_PREFIX = "enc1:"


class SecretError(CumuloError):
    """A stored secret cannot be decrypted (wrong or missing key, or tampered with)."""


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)


class SecretBox:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self.key_count = len(keys)

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()

    def encrypt(self, plain: str) -> str:
        return ENCRYPTED_PREFIX + self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str:
        if not is_encrypted(value):
            raise SecretError("not an encrypted value")
        try:
            return self._fernet.decrypt(value[len(ENCRYPTED_PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretError(
                "a stored secret cannot be decrypted: its key is not in the key ring"
            ) from exc

    def reencrypt(self, value: str) -> str:
        """The same secret under the primary key (after a rotation)."""
        if not is_encrypted(value):
            raise SecretError("not an encrypted value")
        try:
            token = self._fernet.rotate(value[len(ENCRYPTED_PREFIX) :].encode("ascii"))
        except InvalidToken as exc:
            raise SecretError("a stored secret cannot be decrypted during rotation") from exc
        return ENCRYPTED_PREFIX + token.decode("ascii")
