"""Secrets at rest: encryption of stored secrets, and SSH key pairs.

``SecretBox`` seals a text into a self-describing string (``enc2:...``) with a
key derived from the installation's key ring for one ``Purpose`` (and a
context, such as a deployment id and input name); ``open_box(settings)`` gives
the box of an installation (the key ring is created at first use under the
data directory).
"""

from cumulo.secrets.box import (
    ENCRYPTED_PREFIX,
    LEGACY_PREFIX,
    SEALED_PREFIX,
    SecretBox,
    SecretError,
    is_encrypted,
)
from cumulo.secrets.keyring import KEYRING_FILE, open_box, rotate_keyring
from cumulo.secrets.purposes import Purpose, deployment_input, ssh_private_key

__all__ = [
    "ENCRYPTED_PREFIX",
    "KEYRING_FILE",
    "LEGACY_PREFIX",
    "SEALED_PREFIX",
    "Purpose",
    "SecretBox",
    "SecretError",
    "deployment_input",
    "is_encrypted",
    "open_box",
    "rotate_keyring",
    "ssh_private_key",
]
