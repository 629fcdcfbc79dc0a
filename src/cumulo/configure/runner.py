"""Running one playbook against one node over SSH with ansible-runner.

The node is reached over SSH at the address and port its site's driver reports
(``reach.py``: 127.0.0.1 and the published port on the local site, a floating IP
on a cloud, maybe through the site's jump host), as the deployment owner's
account with cumulo's access key (``access.py``). Where the
tasks run is cumulo's alone: the connection variables are pinned as extra
variables (``variables.py``), the inventory names only the node
(``inventory.py``), and the operation's inputs are unsafe data beside them. The
``ansible-playbook`` process gets a fixed environment, not the server's.

Everything the run writes (the key, the extra variables, the inventory,
ansible-runner's artifacts and events, Ansible's local temporary files, ssh's
control sockets) lives in one private folder (mode 0700) on a tmpfs
(``/dev/shm``) when the machine has one, removed right after the run.

The outcome is read from ansible-runner's events: the first failed (not ignored)
or unreachable task names the failure, and ``set_stats`` data are the
operation's outputs.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_runner.interface import init_runner
from ansible_runner.utils import get_callback_dir

from cumulo.configure.inventory import inventory_for
from cumulo.configure.variables import SYSTEM_PATH, connection_vars, extra_vars_yaml
from cumulo.errors import CumuloError
from cumulo.tosca.units import parse_time

DEFAULT_TIMEOUT = 600
TMPFS = Path("/dev/shm")
# What ansible-runner itself sets for its event callback; nothing else of its
# environment (a copy of the server's) reaches ansible-playbook.
_RUNNER_KEYS = (
    "ANSIBLE_STDOUT_CALLBACK", "AWX_ISOLATED_DATA_DIR", "RUNNER_OMIT_EVENTS",
    "RUNNER_ONLY_FAILED_EVENTS", "ANSIBLE_CACHE_PLUGIN", "ANSIBLE_CACHE_PLUGIN_CONNECTION",
)  # fmt: skip


class OperationFailed(CumuloError):
    """A task of the playbook failed or the host was unreachable."""


@dataclass(frozen=True)
class Target:
    """Where a playbook runs: an SSH account at an address, maybe through a jump host."""

    host: str
    port: int
    user: str
    private_key: bytes
    jump: str | None = None  # the site's, checked by ``reach.jump_host``


@dataclass
class PlaybookRun:
    output: str  # the whole Ansible output, for the deployment's log
    outputs: dict[str, Any] = field(default_factory=dict)  # set_stats data
    failure: str | None = None


def run_playbook(
    playbook: Path,
    target: Target,
    variables: Mapping[str, Any],
    timeout: float | None = None,
    roles: Path | None = None,
) -> PlaybookRun:
    """Run ``playbook`` (with the roles installed in ``roles``); never raises for a failed
    task (see ``PlaybookRun.failure``), raises ``ReservedInput`` for an input in Ansible's
    namespaces."""
    folder = private_folder()
    try:
        key = folder / "access" / "id_ed25519"  # not env/ssh_key: no ssh-agent needed
        key.parent.mkdir(mode=0o700)
        key.touch(0o600)
        key.write_bytes(target.private_key)
        (folder / "cp").mkdir(mode=0o700)
        (folder / "tmp").mkdir(mode=0o700)
        (folder / "ansible.cfg").touch(0o600)
        connection = connection_vars(
            target.host, target.port, target.user, key, folder / "cp", target.jump
        )
        (folder / "env").mkdir(mode=0o700)
        extra = folder / "env" / "extravars"  # ansible-runner passes it as -e @file
        extra.touch(0o600)
        extra.write_text(extra_vars_yaml(variables, connection), encoding="utf-8")
        return _run(folder, playbook, timeout or DEFAULT_TIMEOUT, roles)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def private_folder() -> Path:
    """A new 0700 folder, on the tmpfs when there is one (never on persistent disk then)."""
    base = TMPFS if TMPFS.is_dir() and os.access(TMPFS, os.W_OK | os.X_OK) else None
    return Path(tempfile.mkdtemp(prefix="cumulo-ansible-", dir=base))


def fixed_environment(folder: Path, roles: Path | None = None) -> dict[str, str]:
    """The whole environment of ``ansible-playbook``: nothing from the server's or a user's."""
    found = {"ANSIBLE_ROLES_PATH": str(roles)} if roles is not None else {}
    return {
        **found,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), SYSTEM_PATH]),
        "HOME": pwd.getpwuid(os.getuid()).pw_dir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": str(folder / "tmp"),
        "ANSIBLE_CONFIG": str(folder / "ansible.cfg"),  # empty: no ansible.cfg from elsewhere
        "ANSIBLE_LOCAL_TEMP": str(folder / "tmp"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(folder / "cp"),
        "ANSIBLE_CALLBACK_PLUGINS": get_callback_dir(),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
    }


def _run(folder: Path, playbook: Path, timeout: float, roles: Path | None) -> PlaybookRun:
    failures: list[str] = []
    stats: dict[str, Any] = {}

    def on_event(event: dict[str, Any]) -> bool:
        data = event.get("event_data") or {}
        kind = event.get("event")
        if kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            result = data.get("res") or {}
            message = result.get("msg") or result.get("stderr") or result.get("stdout") or ""
            what = "unreachable" if kind == "runner_on_unreachable" else "failed"
            failures.append(f"task '{data.get('task', '?')}' {what}: {str(message).strip()}")
        elif kind == "playbook_on_stats":
            stats.update(data.get("artifact_data") or {})
        return True

    runner = init_runner(
        private_data_dir=str(folder),
        playbook=str(playbook),
        inventory=inventory_for(playbook),
        event_handler=on_event,
        quiet=True,
        timeout=int(timeout),
        settings={"suppress_ansible_output": True},
    )
    given = runner.config.env
    runner.config.env = {
        **{k: given[k] for k in _RUNNER_KEYS if k in given},
        **fixed_environment(folder, roles),
    }
    runner.run()
    output = runner.stdout.read() if runner.stdout else ""
    if runner.status == "timeout":
        failures.insert(0, f"the playbook did not end within {timeout:g} s")
    elif runner.rc != 0 and not failures:
        failures.append(f"ansible-playbook ended with code {runner.rc}: {_last_lines(output)}")
    return PlaybookRun(output, stats, failures[0] if failures else None)


def parse_timeout(value: Any) -> float | None:
    """An operation's ``timeout`` (seconds, or a TOSCA time such as "5 m"), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return parse_time(str(value))
    except ValueError:
        return None


def _last_lines(text: str, count: int = 5) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-count:] if line.strip())
