"""A catalogue entry: its TOSCA text, its layered card metadata, and its issues.

Metadata layers, later over earlier (as INFN's dashboard layers its
tosca-metadata): the template's ``description`` and ``metadata`` block, then
each ``NAME.meta.yaml`` of the entry's folders in order (``display_name``,
``icon``, ``ribbon``, ``ribbon_color``, ``category``, ``visibility``,
``locked``, ``tabs``, ``inputs``: see docs/catalogue.md).

The template is checked by the TOSCA processor as a deployment would load it
(its text alone, named ``NAME.yaml``), so every issue reads
``NAME.yaml:LINE:COLUMN``. An entry with an error is listed to admins with its
issues and offered to no one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cumulo.catalogue.folders import Source, Stamp
from cumulo.errors import ToscaError
from cumulo.tosca import Issue, Location, Processor, Severity, Template
from cumulo.tosca.forms import form_schema

MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Entry:
    name: str
    folder: Path | None
    path: Path | None  # the template file (resolved, inside ``folder``)
    text: str
    metadata: dict[str, Any]
    issues: tuple[Issue, ...] = ()
    template: Template | None = field(default=None, compare=False, repr=False)
    meta_paths: tuple[Path, ...] = ()
    replaces: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        """Offered to users: the template loaded and checked without error."""
        return self.template is not None and not any(i.is_error for i in self.issues)

    @property
    def display_name(self) -> str:
        return str(self.metadata.get("display_name") or self.name)

    @property
    def description(self) -> str:
        return str(self.metadata.get("description") or "")


def _issue(code: str, message: str, file: str, mark: Any = None) -> Issue:
    where = Location(file, mark.line + 1, mark.column + 1) if mark is not None else None
    return Issue(Severity.ERROR, code, message, where or Location(file, 1, 1))


def _read(stamp: Stamp, shown: str) -> tuple[str | None, Issue | None]:
    try:
        with open(stamp.path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, _issue("unreadable", f"cannot read the file: {exc.strerror}", shown)
    if len(data) > MAX_FILE_BYTES:
        return None, _issue("too-large", f"over the limit of {MAX_FILE_BYTES} bytes", shown)
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, _issue("not-utf8", "the file is not UTF-8 text", shown)


def _meta_layer(stamp: Stamp, issues: list[Issue]) -> dict[str, Any]:
    shown = Path(stamp.path).name
    text, problem = _read(stamp, shown)
    if problem is not None or text is None:
        issues.extend([problem] if problem else [])
        return {}
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        why = getattr(exc, "problem", None) or "not YAML"
        issues.append(_issue("metadata-yaml", f"catalogue metadata: {why}", shown, mark))
        return {}
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        issues.append(_issue("metadata-not-a-map", "catalogue metadata must be a map", shown))
        return {}
    return dict(doc)


def _own_metadata(template: Template | None, text: str) -> dict[str, Any]:
    """Layer 1: the template's description and metadata block (best effort if broken)."""
    if template is not None:
        root: Any = {"description": template.description, "metadata": template.metadata}
    else:
        try:
            root = yaml.safe_load(text)
        except yaml.YAMLError:
            root = None
    root = root if isinstance(root, Mapping) else {}
    own = root.get("metadata")
    merged: dict[str, Any] = {"description": str(root.get("description") or "").strip()}
    merged.update(own if isinstance(own, Mapping) else {})
    return merged


def _check(processor: Processor, text: str, shown: str) -> tuple[Template | None, list[Issue]]:
    try:
        template = processor.load_text(text, name=shown)
    except ToscaError as exc:
        return None, list(exc.issues)
    return template, list(processor.check(template))


def load_entry(source: Source, processor: Processor | None) -> Entry:
    """Read and check the entry of ``source`` (``processor`` None: read only, no check)."""
    shown = f"{source.name}.yaml"
    issues: list[Issue] = []
    text: str | None = None
    if source.template is None:
        issues.append(_issue("no-template", f"metadata without a template {shown}", shown))
    else:
        text, problem = _read(source.template, shown)
        issues.extend([problem] if problem else [])
    template = None
    if text is not None and processor is not None:
        template, found = _check(processor, text, shown)
        issues.extend(found)
    metadata = _own_metadata(template, text or "")
    for stamp in source.metas:
        metadata.update(_meta_layer(stamp, issues))
    if template is not None:  # overlay mistakes (an unknown widget, tabs not a list)
        for warning in form_schema(template, metadata)["warnings"]:
            issues.append(Issue(Severity.WARNING, "catalogue-metadata", str(warning)))
    return Entry(
        name=source.name,
        folder=source.folder,
        path=Path(source.template.path) if source.template else None,
        text=text or "",
        metadata=metadata,
        issues=tuple(issues),
        template=template,
        meta_paths=tuple(Path(m.path) for m in source.metas),
        replaces=source.replaces,
    )
