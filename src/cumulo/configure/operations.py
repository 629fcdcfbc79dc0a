"""Running a node's TOSCA Standard lifecycle operations with Ansible.

``Configurator.run(...)`` runs the named operations of one node instance in
order (``create``, ``configure``, ``start`` when it is deployed; ``stop``,
``delete`` when it is removed) on the node's host, each operation's playbook
found by ``playbooks.find_playbook`` and run by ``runner.run_playbook`` with
the operation's inputs as variables, at the ``reach.Route`` the engine chose, with
the node's Galaxy roles installed in the run's own folder first (``roles.py``).
The ``set_stats`` data of each operation are returned as
``{"Standard.<op>": {...}}``, what ``get_operation_output`` reads. The first
failed task stops the run with ``ConfigureError`` naming the operation, the
task and its message.
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
from cumulo.configure.reach import Route
from cumulo.configure.roles import RoleSources, install_roles, role_specs
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


def cumulo_facts(settings: Settings) -> dict[str, Any]:
    """What playbooks know of this cumulo: the OIDC provider a notebook hub logs its
    users in with ("" for none), the claim of their groups, and the hubs' client the
    admin set for a provider without dynamic registration (jupyterhub/configure.yml,
    which hands it to the node in a no_log task; {} for none)."""
    client = {}
    if settings.hub_oidc_client_id:
        client = {
            "client_id": settings.hub_oidc_client_id,
            "client_secret": settings.hub_oidc_client_secret,
        }
    return {
        "cumulo_oidc_issuer": settings.hub_oidc_issuer_url,
        "cumulo_oidc_groups_claim": settings.oidc_groups_claim,
        "cumulo_hub_oidc_client": client,
    }


@dataclass(frozen=True)
class Configurator:
    data_dir: Path
    playbook_dirs: tuple[Path, ...]
    import_map: Mapping[str, Path]
    allow_network: bool
    egress: EgressPolicy = field(default_factory=EgressPolicy)  # where playbook URLs may come from
    # Variables every playbook gets besides its operation's inputs (they win over them):
    # public settings, and the one secret a notebook hub needs (see ``cumulo_facts``).
    facts: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Configurator:
        extra = [Path(p) for p in settings.playbook_dirs.split(";") if p.strip()]
        return cls(
            data_dir=settings.data_dir,
            playbook_dirs=(TEMPLATES_DIR, *extra),
            import_map={**default_import_map(), **parse_import_map(settings.import_map)},
            allow_network=settings.allow_network_imports and settings.allow_network_playbooks,
            egress=EgressPolicy.from_settings(settings),
            facts=cumulo_facts(settings),
        )

    def public_key(self, deployment_id: str) -> str:
        """The key to install on hosts for the configuration of ``deployment_id``."""
        return access_key(self.data_dir, deployment_id).public_line

    def run(
        self,
        deployment_id: str,
        instance: Any,
        names: Sequence[str],
        route: Route,
        evaluate: Callable[[Any], Any],
        log: Callable[[str, str], None],
    ) -> dict[str, dict[str, Any]]:
        """Run the operations ``names`` at ``route`` (``reach.route_to``); their outputs."""
        todo = operations_of(instance, names)
        if not todo:
            return {}
        key = access_key(self.data_dir, deployment_id)
        target = Target(route.host, route.port, route.user, key.private_openssh, route.jump)
        sources = RoleSources(self.playbook_dirs, self.import_map, self.allow_network, self.egress)
        outputs: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(prefix=f"cumulo-run-{deployment_id}-") as scratch:
            try:
                roles = install_roles(role_specs(instance, evaluate), sources, Path(scratch))
            except CumuloError as exc:
                raise ConfigureError(f"node {instance.node}: {exc}") from None
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
                variables.update(self.facts)
                timeout = parse_timeout(operation.timeout)
                run = run_playbook(playbook, target, variables, timeout, roles)
                log(f"{STANDARD}.{name}", run.output)
                if run.failure:
                    raise ConfigureError(f"{where} ({operation.implementation}): {run.failure}")
                outputs[f"{STANDARD}.{name}"] = run.outputs
        return outputs
