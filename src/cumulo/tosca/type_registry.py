"""The type registry: every type of every kind, by name, with inheritance.

A registry is built from documents (the normative profile, the imports, the
template itself) and is immutable afterwards except for its memo of resolved
types, which a lock guards; so one registry (the cached type library) can be
shared by threads. A template's own types live in a child registry layered
over the cached library.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cumulo.tosca.definitions import Origin, ResolvedType
from cumulo.tosca.documents import TYPE_SECTIONS, Document
from cumulo.tosca.issues import Issue
from cumulo.tosca.values import PRIMITIVE_TYPES, DataTypeInfo
from cumulo.tosca.yaml_reader import LazyValue, materialise

# The segment normative names use for each kind: tosca.nodes.Compute, tosca:Compute, Compute.
_SHORT = {
    "node_types": "nodes",
    "relationship_types": "relationships",
    "capability_types": "capabilities",
    "data_types": "datatypes",
    "artifact_types": "artifacts",
    "interface_types": "interfaces",
    "policy_types": "policies",
    "group_types": "groups",
}
_LEGACY_INTERFACES = {
    "Standard": "tosca.interfaces.node.lifecycle.Standard",
    "Configure": "tosca.interfaces.relationship.Configure",
}


@dataclass(frozen=True)
class TypeDef:
    kind: str
    name: str
    stored: Any  # the definition, or a LazyValue of a library read lazily
    origin: Origin

    @property
    def raw(self) -> Any:
        return materialise(self.stored)

    @property
    def read_problems(self) -> list:
        """YAML warnings (duplicate keys) found when a lazy definition was read."""
        return self.stored.problems if isinstance(self.stored, LazyValue) else []

    @property
    def parent(self) -> object:
        return self.raw.get("derived_from") if isinstance(self.raw, dict) else None


class Registry:
    def __init__(self, parent: Registry | None = None) -> None:
        self.parent = parent
        self._defs: dict[str, dict[str, TypeDef]] = {k: {} for k in TYPE_SECTIONS}
        self._resolved: dict[tuple[str, str], ResolvedType] = {}
        self._data_infos: dict[str, DataTypeInfo | None] = {}
        self._lock = threading.RLock()
        self.issues: list[Issue] = []  # problems adding documents (duplicates)

    # -- building --------------------------------------------------------
    def add_document(self, doc: Document, prefix: str | None = None, *, override: bool = False):
        for kind in TYPE_SECTIONS:
            section = doc.root.get(kind)
            if not isinstance(section, dict):
                continue
            for name, raw in section.items():
                if not isinstance(name, str):
                    continue
                typedef = TypeDef(kind, name, raw, Origin(doc, (kind, name)))
                previous = self._defs[kind].get(name)
                if previous is not None and not override and previous.raw != materialise(raw):
                    self.issues.append(
                        doc.issue(
                            "duplicate-type",
                            f"type {name!r} is also defined in {previous.origin.doc.name}; "
                            "this definition wins",
                            (kind, name),
                            warning=True,
                            at_key=True,
                        )
                    )
                self._defs[kind][name] = typedef
                if prefix:
                    self._defs[kind][f"{prefix}:{name}"] = typedef

    # -- lookup ----------------------------------------------------------
    def find(self, kind: str, name: object) -> TypeDef | None:
        if not isinstance(name, str):
            return None
        reg: Registry | None = self
        while reg is not None:
            found = reg._defs[kind].get(name)
            if found is not None:
                return found
            reg = reg.parent
        for alias in self._aliases(kind, name):
            found = self.find(kind, alias) if alias != name else None
            if found is not None:
                return found
        return None

    def _aliases(self, kind: str, name: str) -> tuple[str, ...]:
        """Normative short forms: ``tosca:Compute`` and ``Compute``; the network types'
        drop ``network.`` too (``PortDef``: tosca.datatypes.network.PortDef)."""
        if name.startswith("tosca:"):
            name = name[6:]
            if name.startswith("tosca."):
                return (name,)
        elif kind == "interface_types" and name in _LEGACY_INTERFACES:
            return (_LEGACY_INTERFACES[name],)
        elif name.startswith("tosca.") or not name[:1].isupper():
            return ()
        full = f"tosca.{_SHORT[kind]}.{name}"
        return (full, f"tosca.{_SHORT[kind]}.network.{name}") if "." not in name else (full,)

    def canonical(self, kind: str, name: object) -> str | None:
        found = self.find(kind, name)
        return found.name if found else None

    def names(self, kind: str) -> Iterator[str]:
        reg: Registry | None = self
        seen: set[str] = set()
        while reg is not None:
            for name in reg._defs[kind]:
                if name not in seen:
                    seen.add(name)
                    yield name
            reg = reg.parent

    def own_types(self) -> Iterator[TypeDef]:
        for kind in TYPE_SECTIONS:
            yield from self._defs[kind].values()

    # -- resolution (memoised) -------------------------------------------
    def get(self, kind: str, name: object) -> ResolvedType | None:
        typedef = self.find(kind, name)
        if typedef is None:
            return None
        return self.resolve(typedef)

    def resolve(self, typedef: TypeDef, chain: tuple[str, ...] = ()) -> ResolvedType:
        owner = self._owner(typedef)
        key = (typedef.kind, typedef.name)
        with owner._lock:
            done = owner._resolved.get(key)
            if done is not None:
                return done
        from cumulo.tosca.type_resolution import resolve_type

        # resolved against the registry that defines it, so a template's own types
        # never leak into the shared library's memo
        resolved = resolve_type(owner, typedef, chain)
        if chain and resolved.issues and any(i.code == "derivation-cycle" for i in resolved.issues):
            return resolved  # partial result inside a cycle: not memoised
        with owner._lock:
            return owner._resolved.setdefault(key, resolved)

    def _owner(self, typedef: TypeDef) -> Registry:
        """The registry that defines ``typedef`` memoises it (so the library's cache is shared)."""
        reg: Registry | None = self
        while reg is not None:
            if reg._defs[typedef.kind].get(typedef.name) is typedef:
                return reg
            reg = reg.parent
        return self

    def is_subtype(self, kind: str, name: object, ancestor: str) -> bool:
        resolved = self.get(kind, name)
        target = self.canonical(kind, ancestor) or ancestor
        return resolved is not None and target in resolved.lineage

    # -- DataTypeLookup for cumulo.tosca.values ---------------------------
    def data_type(self, name: str) -> DataTypeInfo | None:
        with self._lock:
            if name in self._data_infos:
                return self._data_infos[name]
        resolved = self.get("data_types", name)
        info = None
        if resolved is not None:
            info = DataTypeInfo(
                resolved.name,
                resolved.primitive,
                {n: p.schema for n, p in resolved.properties.items()},
                list(resolved.constraints),
            )
        with self._lock:
            return self._data_infos.setdefault(name, info)

    def primitive_of(self, type_name: str) -> str:
        """The primitive a value of ``type_name`` is checked as ("" for complex types)."""
        if type_name in PRIMITIVE_TYPES:
            return type_name
        resolved = self.get("data_types", type_name)
        return resolved.primitive or "" if resolved else ""
