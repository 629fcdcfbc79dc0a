"""The inventory of a playbook run: the node, under every name the playbook's plays use.

The one host is called ``localhost``: INFN's artifacts say ``hosts: localhost``
(with ``connection: local``) to mean "the node itself", and an inventory host of
that name also stands for ``127.0.0.1`` and ``::1``, so Ansible never makes its
implicit localhost (cumulo's own machine). Each plain group name a play targets
(``hosts: webservers``, ``hosts: [front, workers]``) is a group holding the node,
so that play runs on it instead of matching nothing. Where the tasks then run is
set by the pinned connection variables (``variables.py``), whatever a pattern says.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

NODE = "localhost"
_GROUP = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NOT_GROUPS = {"all", "ungrouped", NODE}
MAX_IMPORTS = 20


def inventory_for(playbook: Path) -> dict[str, Any]:
    groups = {name: {"hosts": {NODE: None}} for name in sorted(_group_names(playbook))}
    return {"all": {"hosts": {NODE: None}, "children": groups}}


def _group_names(playbook: Path) -> set[str]:
    names: set[str] = set()
    todo, seen = [playbook], set()
    while todo and len(seen) < MAX_IMPORTS:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for play in _plays(path):
            names |= {p for p in _patterns(play.get("hosts")) if _GROUP.match(p)}
            imported = play.get("import_playbook") or play.get("ansible.builtin.import_playbook")
            if isinstance(imported, str) and "{{" not in imported:
                target = (path.parent / imported).resolve()
                if target.is_relative_to(playbook.parent.resolve()):
                    todo.append(target)
    return names - _NOT_GROUPS


def _patterns(hosts: Any) -> list[str]:
    items = hosts if isinstance(hosts, list) else [hosts]
    return [p.strip().lstrip("!&") for i in items if isinstance(i, str)
            for p in re.split(r"[,:]", i)]  # fmt: skip


def _plays(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TagBlindLoader)  # a SafeLoader
    except (OSError, UnicodeError, yaml.YAMLError):
        return []  # ansible-playbook reports it
    return [p for p in data if isinstance(p, dict)] if isinstance(data, list) else []


class _TagBlindLoader(yaml.SafeLoader):
    """Safe loading that reads Ansible's tags (``!unsafe``, ``!vault``) as plain values."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


_TagBlindLoader.add_multi_constructor("!", _untagged)
