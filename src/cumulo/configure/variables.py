"""The extra variables of a playbook run: cumulo's connection to the node, and the
operation's inputs as data.

Extra variables have Ansible's highest precedence, above inventory, play, role,
``set_fact`` and ``include_vars`` variables, and a connection variable beats the
``connection:``/``remote_user:``/``port:`` keywords of a play or task; extra
variables also apply to a delegated host. So the connection variables pinned here
(``ansible_connection: ssh`` to the node's address and port, with cumulo's user,
key, ssh arguments and executables) hold for every task, including
``connection: local``, ``delegate_to: localhost`` and ``local_action``: each of
them runs on the node. Input names in Ansible's namespaces are refused
(``reserved.py``), so the two sets never meet.

The whole document is tagged ``!unsafe``: ansible-core 2.19 reads every string
under that tag (map keys too) as untrusted, never templated, and keeps each value's
type; so ``{{ lookup('pipe', ...) }}`` in a value stays text and never runs on the
controller. (A tag on each string would not do: 2.19 re-resolves a tagged scalar as
if it were plain, so ``'0'`` would become the number 0.)
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from cumulo.configure.reserved import RULE, reserved_names
from cumulo.errors import CumuloError

PYTHON_ON_NODE = "/usr/bin/python3"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# No ssh configuration file, no agent keys, no known_hosts: only what is given here.
SSH_ARGS = (
    "-F /dev/null -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
    "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ControlMaster=auto -o ControlPersist=30s"
)
# No proxy, unless the site's admin set a jump host (ssh keeps the first of ProxyCommand
# and ProxyJump it reads, so "none" must then be left out).
NO_PROXY = "-o ProxyCommand=none"


class ReservedInput(CumuloError):
    """An operation input names one of Ansible's own variables."""

    http_status = 400


def connection_vars(
    host: str, port: int, user: str, key: Path, control_dir: Path, jump: str | None = None
) -> dict:
    """cumulo's connection to the node: every variable that says where or how tasks run;
    ``jump`` is the site's jump host (``[user@]host[:port]``, checked by ``reach.jump_host``)."""
    ssh = {tool: system_tool(tool) for tool in ("ssh", "scp", "sftp")}
    return {
        "ansible_connection": "ssh",
        **dict.fromkeys(("ansible_host", "ansible_ssh_host"), host),
        **dict.fromkeys(("ansible_port", "ansible_ssh_port"), port),
        **dict.fromkeys(("ansible_user", "ansible_ssh_user"), user),
        **dict.fromkeys(("ansible_private_key_file", "ansible_ssh_private_key_file"), str(key)),
        **dict.fromkeys(("ansible_private_key", "ansible_ssh_private_key"), ""),
        **dict.fromkeys(("ansible_password", "ansible_ssh_pass", "ansible_ssh_password"), ""),
        "ansible_ssh_args": SSH_ARGS if jump else f"{SSH_ARGS} {NO_PROXY}",
        "ansible_ssh_common_args": f"-o ProxyJump={jump}" if jump else "",
        "ansible_ssh_extra_args": "",
        "ansible_scp_extra_args": "",
        "ansible_sftp_extra_args": "",
        "ansible_ssh_executable": ssh["ssh"],
        "ansible_scp_executable": ssh["scp"],
        "ansible_sftp_executable": ssh["sftp"],
        "ansible_ssh_pkcs11_provider": "",
        "ansible_control_path": "",
        "ansible_control_path_dir": str(control_dir),
        "ansible_python_interpreter": PYTHON_ON_NODE,
    }


def check_input_names(inputs: Mapping[str, Any]) -> None:
    """``ReservedInput`` naming the inputs in Ansible's namespaces (the runner's own check)."""
    bad = reserved_names(inputs)
    if bad:
        raise ReservedInput(f"input {', '.join(repr(n) for n in bad)} refused: {RULE}")


def extra_vars_yaml(inputs: Mapping[str, Any], connection: Mapping[str, Any]) -> str:
    """The extra variables file: the inputs as unsafe data, and cumulo's connection."""
    check_input_names(inputs)
    data = _UnsafeMap({**as_data(inputs), **as_data(connection)})
    # ASCII with escapes: a raw NEL or line separator in a value would be read back as a
    # line break, and a value must reach the playbook exactly as given.
    return yaml.dump(data, Dumper=_Dumper, default_flow_style=False, allow_unicode=False)


def as_data(value: Any) -> Any:
    """``value`` as plain YAML data (maps with text keys, lists, scalars)."""
    if isinstance(value, Mapping):
        return {str(k): as_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_data(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def system_tool(tool: str) -> str:
    """The system's ``tool`` (ssh, scp...), never one found on a user's or the server's PATH."""
    return shutil.which(tool, path=SYSTEM_PATH) or f"/usr/bin/{tool}"


class _UnsafeMap(dict):
    """The document's root, written ``!unsafe``: everything under it is data."""


class _Dumper(yaml.SafeDumper):
    pass


def _unsafe(dumper: yaml.SafeDumper, data: _UnsafeMap) -> yaml.Node:
    return dumper.represent_mapping("!unsafe", dict(data))


_Dumper.add_representer(_UnsafeMap, _unsafe)
