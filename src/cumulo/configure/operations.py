"""Running a node's TOSCA Standard lifecycle operations with Ansible.

``Configurator.run(...)`` runs the named operations of one node instance in
order (``create``, ``configure``, ``start`` when it is deployed; ``stop``,
``delete`` when it is removed) on the node's host, each operation's playbook
found by ``playbooks.find_playbook`` and run by ``runner.run_playbook`` with
the operation's inputs as variables. The ``set_stats`` data of each operation
are returned as ``{"Standard.<op>": {...}}``, what ``get_operation_output``
reads. The first failed task stops the run with ``ConfigureError`` naming the
operation, the task and its message.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cumulo.catalogue import TEMPLATES_DIR
from cumulo.config import Settings
from cumulo.configure.access import access_key
from cumulo.configure.playbooks import find_playbook
from cumulo.configure.runner import Target, parse_timeout, run_playbook
from cumulo.configure.variables import check_input_names
from cumulo.egress import EgressPolicy
from cumulo.errors import CumuloError
from cumulo.tosca import parse_import_map
from cumulo.tosca.import_map import default_import_map

STANDARD = "Standard"
DEPLOY_OPERATIONS = ("create", "configure", "start")
TEARDOWN_OPERATIONS = ("stop", "delete")


class ConfigureError(CumuloError):
    """An operation could not run or failed on its node."""


def operations_of(instance: Any, names: Sequence[str]) -> list[tuple[str, Any]]:
    """(name, Operation) of the Standard operations ``names`` the instance implements."""
    standard = (getattr(instance, "interfaces", None) or {}).get(STANDARD) or {}
    return [(n, standard[n]) for n in names if n in standard and standard[n].implementation]


@dataclass(frozen=True)
class Configurator:
    data_dir: Path
    playbook_dirs: tuple[Path, ...]
    import_map: Mapping[str, Path]
    allow_network: bool
    egress: EgressPolicy = field(default_factory=EgressPolicy)  # where playbook URLs may come from

    @classmethod
    def from_settings(cls, settings: Settings) -> Configurator:
        extra = [Path(p) for p in settings.playbook_dirs.split(";") if p.strip()]
        return cls(
            data_dir=settings.data_dir,
            playbook_dirs=(TEMPLATES_DIR, *extra),
            import_map={**default_import_map(), **parse_import_map(settings.import_map)},
            allow_network=settings.allow_network_imports and settings.allow_network_playbooks,
            egress=EgressPolicy.from_settings(settings),
        )

    def public_key(self, deployment_id: str) -> str:
        """The key to install on hosts for the configuration of ``deployment_id``."""
        return access_key(self.data_dir, deployment_id).public_line

    def run(
        self,
        deployment_id: str,
        instance: Any,
        names: Sequence[str],
        host: Mapping[str, Any],
        evaluate: Callable[[Any], Any],
        log: Callable[[str, str], None],
    ) -> dict[str, dict[str, Any]]:
        """Run the operations ``names`` on ``host`` (its runtime attributes); their outputs."""
        todo = operations_of(instance, names)
        if not todo:
            return {}
        port, user = host.get("ssh_port"), host.get("ssh_account")
        if not port or not user:
            raise ConfigureError(
                f"node {instance.node}: its operations need a host reached by SSH "
                f"(host {instance.host or 'none'} has no SSH port)"
            )
        key = access_key(self.data_dir, deployment_id)
        target = Target("127.0.0.1", int(port), str(user), key.private_openssh)
        outputs: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(prefix="cumulo-playbooks-") as scratch:
            for name, operation in todo:
                where = f"node {instance.node}: operation {STANDARD}.{name}"
                try:
                    check_input_names(operation.inputs or {})  # planning refused them already
                    playbook = find_playbook(
                        str(operation.implementation), self.playbook_dirs, self.import_map,
                        self.allow_network, Path(scratch), self.egress,
                    )  # fmt: skip
                except CumuloError as exc:
                    raise ConfigureError(f"{where}: {exc}") from None
                variables = {k: evaluate(v) for k, v in (operation.inputs or {}).items()}
                run = run_playbook(playbook, target, variables, parse_timeout(operation.timeout))
                log(f"{STANDARD}.{name}", run.output)
                if run.failure:
                    raise ConfigureError(f"{where} ({operation.implementation}): {run.failure}")
                outputs[f"{STANDARD}.{name}"] = run.outputs
        return outputs
