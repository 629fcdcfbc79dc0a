"""The validated topology: node templates with their types, values and links.

Built by ``node_validation`` from a template; read by ``topology`` (instances,
order) and ``functions`` (references between nodes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cumulo.tosca.definitions import InterfaceDef, ResolvedType


@dataclass
class RequirementLink:
    name: str
    target: str | None  # node template name, None when unresolved
    capability: str | None  # capability name on the target (or a type when unresolved)
    relationship: str | None  # relationship type (canonical name)
    path: tuple
    relationship_type: ResolvedType | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    interfaces: dict[str, InterfaceDef] = field(default_factory=dict)


@dataclass
class NodeModel:
    name: str
    type: ResolvedType
    path: tuple
    properties: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    capabilities: dict[str, dict[str, Any]] = field(default_factory=dict)
    requirements: list[RequirementLink] = field(default_factory=list)
    interfaces: dict[str, InterfaceDef] = field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def declares(self, attribute: str) -> bool:
        return attribute in self.type.attributes or attribute in self.type.properties

    @property
    def count_expr(self) -> Any:
        scalable = self.capabilities.get("scalable") or {}
        for key in ("count", "default_instances"):  # INDIGO's count, then the normative one
            if scalable.get(key) is not None:
                return scalable[key]
        return 1
