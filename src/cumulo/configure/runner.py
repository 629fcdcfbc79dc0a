"""Running one playbook against one node over SSH with ansible-runner.

The node is reached as an SSH host on 127.0.0.1 at its published port, as the
deployment owner's account with cumulo's access key (``access.py``); the
operation's inputs are extra variables. The outcome is read from
ansible-runner's events: the first failed (not ignored) or unreachable task
names the failure, and ``set_stats`` data are the operation's outputs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from cumulo.errors import CumuloError
from cumulo.tosca.units import parse_time

DEFAULT_TIMEOUT = 600
_SSH_ARGS = (
    "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
    "-o ControlMaster=auto -o ControlPersist=30s"
)


ENVIRONMENT = {
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
}


class OperationFailed(CumuloError):
    """A task of the playbook failed or the host was unreachable."""


@dataclass(frozen=True)
class Target:
    """Where a playbook runs: an SSH host on 127.0.0.1."""

    host: str
    port: int
    user: str
    private_key: bytes


@dataclass
class PlaybookRun:
    output: str  # the whole Ansible output, for the deployment's log
    outputs: dict[str, Any] = field(default_factory=dict)  # set_stats data
    failure: str | None = None


def run_playbook(
    playbook: Path, target: Target, variables: dict[str, Any], timeout: float | None = None
) -> PlaybookRun:
    """Run ``playbook``; never raises for a failed task (see ``PlaybookRun.failure``)."""
    folder = Path(tempfile.mkdtemp(prefix="cumulo-ansible-"))
    try:
        key = folder / "access" / "id_ed25519"  # not env/ssh_key: no ssh-agent needed
        key.parent.mkdir()
        key.touch(0o600)
        key.write_bytes(target.private_key)
        return _run(folder, key, playbook, target, variables, timeout or DEFAULT_TIMEOUT)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(
    folder: Path,
    key: Path,
    playbook: Path,
    target: Target,
    variables: dict[str, Any],
    timeout: float,
) -> PlaybookRun:
    host = {
        "ansible_host": target.host,
        "ansible_port": target.port,
        "ansible_user": target.user,
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": _SSH_ARGS,
        "ansible_python_interpreter": "/usr/bin/python3",
    }
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

    runner = ansible_runner.run(
        private_data_dir=str(folder),
        playbook=str(playbook),
        inventory={"all": {"hosts": {"node": host}}},
        extravars=variables,
        envvars={**ENVIRONMENT, "PATH": _path_with_our_ansible()},
        event_handler=on_event,
        quiet=True,
        timeout=int(timeout),
        settings={"suppress_ansible_output": True},
    )
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


def _path_with_our_ansible() -> str:
    """PATH with this interpreter's bin folder first: ansible-core of our venv, even
    when cumulo runs without the venv activated."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _last_lines(text: str, count: int = 5) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-count:] if line.strip())
