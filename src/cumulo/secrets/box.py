"""``SecretBox``: authenticated encryption bound to a purpose, with key rotation.

A sealed value is a string ``enc2:<fernet token>`` (Fernet: AES-128-CBC +
HMAC-SHA256), so it can live in any text or JSON column. Its key is not a key
of the ring itself but one derived from it (HKDF-SHA256) for a **purpose** and a
**context** (``Purpose.DEPLOYMENT_INPUT`` with ``"<deployment id>/<input>"``,
say): a value sealed for one purpose or context does not open for another, so a
session cookie is not a site credential, and one deployment's password is not
another's. The first key of the ring seals; every key opens.

``enc1:`` values (sealed with the ring's keys themselves, before purposes)
still open where cumulo reads its own stored columns (``legacy=True``), never
where a value comes from a client (cookies, links); ``cumulo secrets rotate``
rewrites them as ``enc2:``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cumulo.errors import CumuloError
from cumulo.secrets.purposes import Purpose

SEALED_PREFIX = "enc2:"
LEGACY_PREFIX = "enc1:"
ENCRYPTED_PREFIX = SEALED_PREFIX  # what new values start with
_SALT = b"cumulo secrets at rest"
_CACHE_SIZE = 1024


class SecretError(CumuloError):
    """A sealed value does not open: wrong key, purpose or context, or tampered with."""


def is_encrypted(value: object) -> bool:
    """Whether ``value`` has the form of a sealed value (not whether it opens)."""
    return isinstance(value, str) and value.startswith((SEALED_PREFIX, LEGACY_PREFIX))


class SecretBox:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a SecretBox needs at least one key")
        self._legacy = MultiFernet([Fernet(k) for k in keys])  # also checks the keys' form
        self._masters = [base64.urlsafe_b64decode(k) for k in keys]
        self._derived: dict[tuple[str, str], MultiFernet] = {}
        self.key_count = len(keys)

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()

    def _fernet(self, purpose: Purpose, context: str) -> MultiFernet:
        cached = self._derived.get((purpose, context))
        if cached is not None:
            return cached
        info = f"cumulo/{Purpose(purpose).value}\x00{context}".encode()
        keys = [
            HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(master)
            for master in self._masters
        ]
        fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(k)) for k in keys])
        if len(self._derived) >= _CACHE_SIZE:
            self._derived.clear()
        self._derived[(purpose, context)] = fernet
        return fernet

    def seal(self, plain: str, purpose: Purpose, context: str = "") -> str:
        token = self._fernet(purpose, context).encrypt(plain.encode("utf-8"))
        return SEALED_PREFIX + token.decode("ascii")

    def open(self, value: str, purpose: Purpose, context: str = "", *, legacy: bool = False) -> str:
        """The plain text of a value sealed for ``purpose`` and ``context``.

        ``legacy`` also opens ``enc1:`` values: only for columns cumulo itself wrote.
        """
        if not isinstance(value, str):
            raise SecretError("not a sealed value")
        try:
            if value.startswith(SEALED_PREFIX):
                token = value[len(SEALED_PREFIX) :].encode("ascii")
                return self._fernet(purpose, context).decrypt(token).decode("utf-8")
            if legacy and value.startswith(LEGACY_PREFIX):
                return self._legacy.decrypt(value[len(LEGACY_PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretError(
                f"a sealed value does not open as {Purpose(purpose).value}: "
                "its key is not in the key ring, or it was sealed for something else"
            ) from exc
        raise SecretError("not a sealed value")

    def reseal(self, value: str, purpose: Purpose, context: str = "") -> str:
        """The same secret under the primary key (after a rotation); ``enc1:`` ones migrated."""
        if value.startswith(LEGACY_PREFIX):
            return self.seal(self.open(value, purpose, context, legacy=True), purpose, context)
        try:
            token = self._fernet(purpose, context).rotate(
                value.removeprefix(SEALED_PREFIX).encode("ascii")
            )
        except (InvalidToken, UnicodeError) as exc:
            raise SecretError(
                f"a stored {Purpose(purpose).value} cannot be opened during rotation"
            ) from exc
        return SEALED_PREFIX + token.decode("ascii")
