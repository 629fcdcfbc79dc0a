"""How cumulo reaches a node over SSH, and whether SSH answers there yet.

The address is the one the site's driver reports for the host (its runtime
attributes, never a user's input): the first ``public_address`` (a floating IP
on a cloud, 127.0.0.1 on the local site), else the first ``private_address``;
the port is ``ssh_port`` (the local site's published port; 22 on a cloud), and
the account ``ssh_account``. A site whose servers cumulo cannot reach directly
names a jump host in its options (``ssh_jump_host: [user@]host[:port]``, set by
the admin only); cumulo then goes through it to the host's private address.
The jump host is logged in to as cumulo's system user with its own SSH keys and
known hosts (``~/.ssh`` of that user): the deployment's key is only on its nodes.

``ssh_answers`` is one bounded look: an SSH server's greeting read at the
address (through the jump host with ``ssh -W`` when there is one).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cumulo.configure.variables import SYSTEM_PATH, system_tool
from cumulo.errors import CumuloError

JUMP_OPTION = "ssh_jump_host"
DEFAULT_PORT = 22
_JUMP = re.compile(
    r"^(?:(?P<user>[a-z_][a-z0-9_.-]{0,31})@)?"
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?$"
)


class Unreachable(CumuloError):
    """The node has no address cumulo can log in to over SSH."""


@dataclass(frozen=True)
class Route:
    """Where the playbooks of a node run: an SSH account at an address, maybe via a jump host."""

    host: str
    port: int
    user: str
    jump: str | None = None  # "[user@]host[:port]", checked

    def text(self) -> str:
        where = f"[{self.host}]" if ":" in self.host else self.host
        return f"{where}:{self.port}" + (f" through {self.jump}" if self.jump else "")


def jump_host(options: Mapping[str, Any], site: str = "") -> str | None:
    """The site's jump host, checked (it becomes an ssh option: nothing else may pass)."""
    value = options.get(JUMP_OPTION)
    if value in (None, ""):
        return None
    match = _JUMP.match(value) if isinstance(value, str) else None
    port = int(match["port"]) if match and match["port"] else DEFAULT_PORT
    if match is None or not 0 < port < 65536:
        raise Unreachable(f"site {site}: options.{JUMP_OPTION} {value!r} is not [user@]host[:port]")
    return value


def route_to(
    node: str, host: str | None, attributes: Mapping[str, Any], options: Mapping[str, Any],
    site: str = "",
) -> Route:  # fmt: skip
    """The route to the host ``host`` of ``node`` from the host's runtime ``attributes``."""
    jump = jump_host(options, site)
    public = _addresses(attributes.get("public_address"))
    private = _addresses(attributes.get("private_address"))
    found = (private + public) if jump else (public + private)
    user, port = attributes.get("ssh_account"), attributes.get("ssh_port")
    if not user or not found:
        raise Unreachable(
            f"node {node}: its operations need a host reached by SSH "
            f"(host {host or 'none'} has no SSH account or address)"
        )
    address = found[0]
    if port in (None, "") and address.is_loopback:
        # A loopback address is this machine: only a port the driver published leads to the node.
        raise Unreachable(f"node {node}: its host {host} has no SSH port")
    try:
        port = int(port or DEFAULT_PORT)
    except (TypeError, ValueError):
        raise Unreachable(f"node {node}: host {host}: invalid SSH port {port!r}") from None
    return Route(str(address), port, str(user), jump)


def _addresses(value: Any) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The IP addresses a driver reported (a list or one), in order; anything else is skipped."""
    items = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in items:
        try:
            found.append(ipaddress.ip_address(str(item)))
        except ValueError:
            continue
    return found


def ssh_answers(route: Route, timeout: float) -> str | None:
    """None when an SSH server greets at the end of ``route`` within ``timeout``; else why not."""
    if route.jump is None:
        return _greeting_direct(route, timeout)
    try:
        done = subprocess.run(
            jump_probe_command(route, timeout), input=b"", capture_output=True,
            timeout=timeout + 5, env={"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"no answer through {route.jump} within {timeout:g} s"
    if done.stdout.startswith(b"SSH-"):
        return None
    said = done.stderr.decode(errors="replace").strip().splitlines()
    return said[-1] if said else "no SSH greeting"


def jump_probe_command(route: Route, timeout: float) -> list[str]:
    """``ssh`` to the jump host forwarding its stdio to the node's SSH port (as ProxyJump does)."""
    target = f"[{route.host}]:{route.port}" if ":" in route.host else f"{route.host}:{route.port}"
    return [
        system_tool("ssh"), "-F", "/dev/null", "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={max(1, int(timeout))}", "-W", target, f"ssh://{route.jump}",
    ]  # fmt: skip


def _greeting_direct(route: Route, timeout: float) -> str | None:
    try:
        with socket.create_connection((route.host, route.port), timeout=max(timeout, 0.1)) as sock:
            greeting = sock.recv(256)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return exc.strerror or str(exc)
    if greeting.startswith(b"SSH-"):
        return None
    return "the port answers but not with an SSH greeting" if greeting else "connection closed"
