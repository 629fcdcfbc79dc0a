"""Files of the node only one system user reads (the hub's, Prometheus's)."""

import os
import pwd


def write_private(path: str, text: str, user: str) -> None:
    """Replace ``path`` at once with ``text``, readable by ``user`` alone."""
    owner = pwd.getpwnam(user)
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chown(tmp, owner.pw_uid, owner.pw_gid)
    os.replace(tmp, path)
