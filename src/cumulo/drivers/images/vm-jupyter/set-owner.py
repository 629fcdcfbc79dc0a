#!/usr/bin/python3
"""set-owner.py NAME: make NAME the hub's only user, with the password read on
standard input. Only a salted PBKDF2 digest is written (owner.json, readable
by the hub's user only): the password itself is kept nowhere on the node."""

import hashlib
import json
import os
import pwd
import re
import secrets
import sys

ITERATIONS = 200_000


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
    hub = pwd.getpwnam("jupyter")
    path = "/etc/jupyterhub/owner.json"
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(record, f)
    os.chown(tmp, hub.pw_uid, hub.pw_gid)
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
