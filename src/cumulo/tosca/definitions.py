"""Definitions inside types, after inheritance: properties, capabilities,
requirements, interfaces. Built by ``type_resolution``; read by validation,
topology and the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cumulo.tosca.values import Schema

if TYPE_CHECKING:
    from cumulo.tosca.documents import Document
    from cumulo.tosca.issues import Issue

UNBOUNDED = float("inf")


@dataclass(frozen=True)
class Origin:
    """Where a definition is written: a document and a path inside it."""

    doc: Document
    path: tuple

    def issue(self, code: str, message: str, sub: tuple = (), **kw: Any) -> Issue:
        return self.doc.issue(code, message, (*self.path, *sub), **kw)


@dataclass
class PropertyDef:
    name: str
    schema: Schema
    origin: Origin
    description: str | None = None


@dataclass
class CapabilityDef:
    name: str
    type: str
    properties: dict[str, PropertyDef]
    attributes: dict[str, PropertyDef]
    occurrences: tuple[int, float]
    valid_source_types: list[str]
    origin: Origin


@dataclass
class RequirementDef:
    name: str
    capability: str | None
    node: str | None
    relationship: str | None
    occurrences: tuple[int, float]
    origin: Origin
    node_filter: Any = None


@dataclass
class OperationDef:
    name: str
    implementation: Any  # str, {primary, dependencies, ...} or None
    inputs: dict[str, Any]  # values (or, in types, definitions with defaults)
    origin: Origin | None = None


@dataclass
class InterfaceDef:
    name: str
    type: str | None
    operations: dict[str, OperationDef]
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResolvedType:
    """A type with everything it inherits applied."""

    kind: str  # "node_types", "data_types", ...
    name: str
    lineage: tuple[str, ...]  # itself first, then its ancestors
    origin: Origin | None
    primitive: str | None = None  # data types derived from a primitive
    properties: dict[str, PropertyDef] = field(default_factory=dict)
    attributes: dict[str, PropertyDef] = field(default_factory=dict)
    capabilities: dict[str, CapabilityDef] = field(default_factory=dict)
    requirements: list[RequirementDef] = field(default_factory=list)
    interfaces: dict[str, InterfaceDef] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)
    constraints: list = field(default_factory=list)
    valid_target_types: list[str] = field(default_factory=list)
    valid_source_types: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)  # interface types
    issues: list[Issue] = field(default_factory=list)  # its own and its ancestors'

    def is_a(self, type_name: str) -> bool:
        return type_name in self.lineage

    def requirement(self, name: str) -> RequirementDef | None:
        for req in self.requirements:
            if req.name == name:
                return req
        return None


def parse_occurrences(raw: Any) -> tuple[int, float] | None:
    """[lo, hi] with hi possibly UNBOUNDED; None when malformed."""
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    lo, hi = raw
    if isinstance(lo, bool) or not isinstance(lo, int) or lo < 0:
        return None
    if hi == "UNBOUNDED":
        return (lo, UNBOUNDED)
    if isinstance(hi, bool) or not isinstance(hi, int) or hi < lo:
        return None
    return (lo, hi)
