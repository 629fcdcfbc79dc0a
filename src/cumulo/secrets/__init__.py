"""Secrets at rest: encryption of stored secrets, and SSH key pairs.

``SecretBox`` encrypts a text into a self-describing string (``enc1:...``) with
the installation's key ring; ``open_box(settings)`` gives the box of an
installation (the key ring is created at first use under the data directory).
"""

from cumulo.secrets.box import ENCRYPTED_PREFIX, SecretBox, SecretError, is_encrypted
from cumulo.secrets.keyring import KEYRING_FILE, open_box, rotate_keyring

__all__ = [
    "ENCRYPTED_PREFIX",
    "KEYRING_FILE",
    "SecretBox",
    "SecretError",
    "is_encrypted",
    "open_box",
    "rotate_keyring",
]
