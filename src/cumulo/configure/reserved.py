"""Operation input names that Ansible keeps for itself, refused wherever they appear.

An operation's inputs become variables of its playbook; a name in Ansible's own
namespaces would not be data but an instruction to Ansible: ``ansible_connection``
and the other ``ansible_*`` connection variables choose where and how the tasks
run (``local``: on cumulo's host), and the magic variables (``hostvars``,
``inventory_hostname``, ``omit``, ...) are what Ansible itself resolves hosts and
options with. Such names are refused when the template is planned (a 400 at POST)
and again by the runner, before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cumulo.errors import ToscaError
from cumulo.tosca.issues import Issue, Severity

ANSIBLE_PREFIX = "ansible_"
# Ansible's magic variables without the ``ansible_`` prefix (docs: "Special Variables"):
# the names Ansible resolves hosts, paths and omitted options with.
MAGIC_NAMES = frozenset(
    {
        "group_names", "groups", "hostvars", "inventory_dir", "inventory_file",
        "inventory_hostname", "inventory_hostname_short", "omit", "play_hosts",
        "playbook_dir", "role_name", "role_names", "role_path", "role_uuid", "vars",
        "environment",
    }
)  # fmt: skip
RULE = (
    "operation inputs are data: a name in Ansible's own namespaces (ansible_* or a magic "
    "variable such as hostvars, inventory_hostname, omit, environment) is refused, since "
    "how cumulo reaches a node is cumulo's alone"
)


def is_reserved(name: Any) -> bool:
    text = str(name).strip().lower()
    return text.startswith(ANSIBLE_PREFIX) or text in MAGIC_NAMES


def reserved_names(names: Any) -> list[str]:
    """The reserved names among ``names``, in their order."""
    return [str(n) for n in names if is_reserved(n)]


def refuse_reserved_inputs(plan: Any) -> None:
    """``ToscaError`` (400) naming every node, interface.operation and input that is reserved."""
    issues, seen = [], set()
    for node, interface, operation, name in _operation_inputs(plan):
        if (node, interface, operation, name) in seen or not is_reserved(name):
            continue
        seen.add((node, interface, operation, name))
        issues.append(
            Issue(
                Severity.ERROR,
                "reserved-operation-input",
                f"node {node}: operation {interface}.{operation}: input '{name}' is reserved",
                path=f"topology_template.node_templates.{node}.interfaces.{interface}."
                f"{operation}.inputs.{name}",
                hint=RULE,
            )
        )
    if issues:
        raise ToscaError(issues)


def _operation_inputs(plan: Any) -> Iterator[tuple[str, str, str, str]]:
    for instance in getattr(plan, "instances", ()):
        interfaces = [getattr(instance, "interfaces", None) or {}]
        interfaces += [r.interfaces or {} for r in getattr(instance, "requirements", ())]
        for by_name in interfaces:
            for interface, operations in by_name.items():
                for op_name, operation in (operations or {}).items():
                    for name in getattr(operation, "inputs", None) or {}:
                        yield instance.node, interface, op_name, str(name)
