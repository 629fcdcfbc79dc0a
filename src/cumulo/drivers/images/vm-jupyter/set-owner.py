#!/usr/bin/python3
"""set-owner.py NAME: make NAME the hub's only user, with the password read on
standard input. Only digests are written: a salted PBKDF2 one for the hub
(owner.json, readable by the hub's user only) and a bcrypt one, the only kind
Prometheus checks, for the node's monitoring (web.yml, its basic auth, readable
by Prometheus's user only). The password itself is kept nowhere on the node."""

import hashlib
import json
import re
import secrets
import sys

import bcrypt
from private_file import write_private

ITERATIONS = 200_000
BCRYPT_ROUNDS = 10  # Prometheus checks it at each request (it caches successes)


def main() -> int:
    name = sys.argv[1] if len(sys.argv) == 2 else ""
    if not re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", name):
        print(f"set-owner: {name!r} is not a valid user name", file=sys.stderr)
        return 2
    password = sys.stdin.read().rstrip("\n")
    if len(password) < 8:
        print("set-owner: the password must have at least 8 characters", file=sys.stderr)
        return 2
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    record = {"user": name, "salt": salt.hex(), "iterations": ITERATIONS, "digest": digest.hex()}
    write_private("/etc/jupyterhub/owner.json", json.dumps(record), "jupyter")
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()
    # JSON is YAML: the name and the digest need no further quoting.
    web = {"basic_auth_users": {name: hashed}}
    write_private("/etc/cumulo-monitoring/web.yml", json.dumps(web), "prometheus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
