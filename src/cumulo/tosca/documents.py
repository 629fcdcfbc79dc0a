"""Documents: one parsed YAML file of a service template or a type library.

A ``Document`` knows its name (for messages), its root (located containers)
and how to turn a path inside it into ``file:line:column``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cumulo.tosca.issues import Issue, Location, Severity, did_you_mean, format_path
from cumulo.tosca.yaml_reader import YMap, key_mark, mark_at, materialise

VERSIONS = {
    "tosca_simple_yaml_1_0": "1.0",
    "tosca_simple_yaml_1_1": "1.1",
    "tosca_simple_yaml_1_2": "1.2",
    "tosca_simple_yaml_1_3": "1.3",
    "http://docs.oasis-open.org/tosca/ns/simple/yaml/1.0": "1.0",
    "http://docs.oasis-open.org/tosca/ns/simple/yaml/1.1": "1.1",
    "http://docs.oasis-open.org/tosca/ns/simple/yaml/1.2": "1.2",
    "http://docs.oasis-open.org/tosca/ns/simple/yaml/1.3": "1.3",
    # the NFV profile 1.0 builds on the Simple Profile 1.0 (profile_versions.py loads it)
    "tosca_simple_profile_for_nfv_1_0_0": "1.0",
}

TYPE_SECTIONS = (
    "artifact_types",
    "data_types",
    "capability_types",
    "interface_types",
    "relationship_types",
    "node_types",
    "group_types",
    "policy_types",
)

TOP_LEVEL_KEYS = frozenset(
    {
        "tosca_definitions_version",
        "namespace",
        "metadata",
        "description",
        "dsl_definitions",
        "repositories",
        "imports",
        "topology_template",
        "template_name",
        "template_author",
        "template_version",
        *TYPE_SECTIONS,
    }
)


@dataclass(frozen=True)
class ImportEntry:
    """One entry of ``imports``, before resolution."""

    file: str
    repository: str | None
    namespace_prefix: str | None
    path: tuple  # where the entry is written


@dataclass(eq=False)
class Document:
    name: str  # shown in messages: a path or a URL
    key: str  # identity for caching: resolved path or URL
    root: YMap
    base: Path | str | None  # folder or URL that relative imports start from
    version: str = "1.3"
    issues: list[Issue] = field(default_factory=list)
    imports: list[ImportEntry] = field(default_factory=list)

    def location(self, path: tuple, *, at_key: bool = False) -> Location | None:
        if at_key and path:
            parent = self.node_at(path[:-1])
            mark = key_mark(parent, path[-1]) if parent is not None else None
        else:
            mark = mark_at(self.root, path)
        return Location(self.name, mark[0], mark[1]) if mark else Location(self.name, 1, 1)

    def node_at(self, path: tuple) -> Any:
        node: Any = self.root
        for part in path:
            try:
                node = materialise(node[part])
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def issue(
        self,
        code: str,
        message: str,
        path: tuple,
        *,
        hint: str | None = None,
        warning: bool = False,
        at_key: bool = False,
    ) -> Issue:
        return Issue(
            Severity.WARNING if warning else Severity.ERROR,
            code,
            message,
            self.location(path, at_key=at_key),
            format_path(path),
            hint,
        )


def check_header(doc: Document) -> None:
    """Check the version and top-level keys; collect the import entries."""
    root = doc.root
    raw = root.get("tosca_definitions_version")
    if raw is None:
        doc.issues.append(
            doc.issue(
                "missing-version",
                "tosca_definitions_version is missing",
                (),
                hint="start the file with 'tosca_definitions_version: tosca_simple_yaml_1_3'",
            )
        )
    elif not isinstance(raw, str) or raw not in VERSIONS:
        doc.issues.append(
            doc.issue(
                "unknown-version",
                f"unknown tosca_definitions_version {raw!r}",
                ("tosca_definitions_version",),
                hint=did_you_mean(raw, VERSIONS) or "use tosca_simple_yaml_1_0 ... 1_3",
            )
        )
    else:
        doc.version = VERSIONS[raw]
    for key in root:
        if key not in TOP_LEVEL_KEYS:
            doc.issues.append(
                doc.issue(
                    "unknown-field",
                    f"unknown top-level key {key!r}",
                    (key,),
                    hint=did_you_mean(key, TOP_LEVEL_KEYS),
                    at_key=True,
                )
            )
    for section in ("metadata", "repositories", "topology_template", *TYPE_SECTIONS):
        value = root.get(section)
        if value is not None and not isinstance(value, dict):
            doc.issues.append(doc.issue("bad-section", f"'{section}' must be a map", (section,)))
    doc.imports = _import_entries(doc)


def _import_entries(doc: Document) -> list[ImportEntry]:
    raw = doc.root.get("imports")
    if raw is None:
        return []
    if not isinstance(raw, list):
        doc.issues.append(doc.issue("bad-import", "'imports' must be a list", ("imports",)))
        return []
    entries = []
    for i, item in enumerate(raw):
        path: tuple = ("imports", i)
        spec: Any = item
        if isinstance(item, dict) and len(item) == 1 and "file" not in item:
            # named form: "- name: file" or "- name: {file: ...}"
            name = next(iter(item))
            spec = item[name]
            path = (*path, name)
        if isinstance(spec, str):
            entries.append(ImportEntry(spec, None, None, path))
        elif isinstance(spec, dict) and isinstance(spec.get("file"), str):
            repo, prefix = spec.get("repository"), spec.get("namespace_prefix")
            entries.append(
                ImportEntry(
                    spec["file"],
                    repo if isinstance(repo, str) else None,
                    prefix if isinstance(prefix, str) else None,
                    path,
                )
            )
        else:
            doc.issues.append(
                doc.issue(
                    "bad-import",
                    "an import is a file name or URL, or a map with 'file'",
                    path,
                )
            )
    return entries
