"""A loaded template (what ``Processor.load_*`` returns) and a check report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cumulo.tosca.documents import Document
from cumulo.tosca.issues import Issue
from cumulo.tosca.type_registry import Registry


@dataclass(eq=False)
class Template:
    doc: Document
    registry: Registry  # the template's own types over the cached library
    imports: list[Document] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # found while loading (warnings)

    @property
    def name(self) -> str:
        return self.doc.name

    @property
    def root(self) -> dict:
        return self.doc.root

    @property
    def topology(self) -> dict:
        tt = self.doc.root.get("topology_template")
        return tt if isinstance(tt, dict) else {}

    @property
    def metadata(self) -> dict:
        md = self.doc.root.get("metadata")
        return md if isinstance(md, dict) else {}

    @property
    def description(self) -> Any:
        return self.doc.root.get("description")

    @property
    def inputs(self) -> dict:
        raw = self.topology.get("inputs")
        return raw if isinstance(raw, dict) else {}


class Report(list):
    """Every issue of a check: a list of ``Issue`` with errors and warnings apart."""

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self if not i.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors
