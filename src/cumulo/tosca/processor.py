"""The Processor: the entry point of ``cumulo.tosca``.

It loads templates and their imports, keeps the parsed documents and the
resolved type libraries in caches (keyed by resolved location and file
stamp, guarded by a lock), and runs the pipeline: read → types → validate →
topology → functions. It holds no global state; one instance may be shared
by threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cumulo.errors import ToscaError
from cumulo.tosca.documents import TYPE_SECTIONS, Document, check_header
from cumulo.tosca.import_map import PROFILES_DIR, default_import_map
from cumulo.tosca.imports import (
    Fetch,
    ImportFailed,
    ImportResolver,
    Resolved,
    default_cache_dir,
)
from cumulo.tosca.issues import Issue, IssueLog
from cumulo.tosca.load_issues import kind_of, plain_issue, yaml_issue
from cumulo.tosca.parsed_cache import ParsedCache
from cumulo.tosca.plan import Plan
from cumulo.tosca.profile_versions import declared_profiles
from cumulo.tosca.template import Report, Template
from cumulo.tosca.topology import DEFAULT_MAX_DEPLOYMENT_INSTANCES
from cumulo.tosca.type_registry import Registry
from cumulo.tosca.yaml_reader import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_NODES,
    YamlError,
    YMap,
    read_yaml,
)

NORMATIVE = PROFILES_DIR / "normative.yaml"
_LAZY = frozenset(TYPE_SECTIONS)
# problems that stop loading (the rest are reported by check / plan)
_FATAL_HEADER = {
    "missing-version",
    "unknown-version",
    "bad-import",
    "not-a-map",
    "unknown-repository",
}


class Processor:
    def __init__(
        self,
        import_map: Mapping[str, Path | str] | None = None,
        allow_network: bool = False,
        cache_dir: Path | None = None,
        max_bytes: int = 1 << 20,
        *,
        allowed_roots: list[Path] | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_nodes: int = DEFAULT_MAX_NODES,
        max_instances: int = DEFAULT_MAX_DEPLOYMENT_INSTANCES,
        fetch: Fetch | None = None,
        cache_parsed: bool = True,
    ) -> None:
        merged = default_import_map()
        merged.update({k: Path(v) for k, v in (import_map or {}).items()})
        self.import_map = merged
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_instances = max_instances  # per deployment, checked before count expansion
        self._resolver = ImportResolver(
            merged, list(allowed_roots or []), allow_network, cache_dir, max_bytes, fetch
        )
        # type files parsed by earlier processes, by content hash (cache_parsed: use them)
        folder = (cache_dir or default_cache_dir()) / "parsed"
        self._parsed = ParsedCache(folder) if cache_parsed else None
        self._lock = threading.Lock()
        self._docs: dict[str, tuple[tuple[int, int], Document]] = {}
        self._libraries: dict[tuple, Registry] = {}

    # -- loading ---------------------------------------------------------
    def load_file(self, path: str | Path) -> Template:
        p = Path(path)
        try:
            data = p.read_bytes() if p.stat().st_size <= self.max_bytes else None
        except OSError as exc:
            raise ToscaError(
                [plain_issue("unreadable", f"cannot read {p}: {exc.strerror}", str(p))]
            ) from None
        if data is None:
            size = p.stat().st_size
            raise ToscaError(
                [
                    plain_issue(
                        "too-large",
                        f"file is {size} bytes, over the limit of {self.max_bytes}",
                        str(p),
                    )
                ]
            )
        resolved = p.resolve()
        return self._load(data, str(p), resolved.parent, key=str(resolved))

    def load_text(
        self, text: str | bytes, name: str = "template.yaml", base_dir: Path | str | None = None
    ) -> Template:
        base = Path(base_dir).resolve() if base_dir is not None else None
        return self._load(text, name, base, key=name)

    def _load(self, text: str | bytes, name: str, base: Path | None, *, key: str) -> Template:
        doc = self._parse(text, name, key, base)
        log = IssueLog()
        log.extend(doc.issues)
        self._raise_if_fatal(doc.issues)
        extra_roots = [base] if base is not None else []
        imported = self._collect_imports(doc, log, extra_roots)
        # profiles the versions ask for (NFV) come first: the imports build on them
        profiles = declared_profiles([doc, *(d for d, _ in imported)])
        loaded = [(self._document(res), None) for res in profiles] + imported
        if any(
            i.is_error and (i.code.startswith("import") or i.code in _FATAL_HEADER)
            for i in log.issues
        ):
            raise ToscaError(log.issues)
        library = self._library(loaded, log)
        registry = library
        if any(isinstance(doc.root.get(k), dict) for k in TYPE_SECTIONS):
            registry = Registry(library)
            registry.add_document(doc, override=True)
        return Template(
            doc=doc, registry=registry, imports=[d for d, _ in imported], issues=log.issues
        )

    def _parse(
        self,
        data: str | bytes,
        name: str,
        key: str,
        base: Path | str | None,
        lazy: bool = False,
        cached: bool = False,
    ) -> Document:
        read = read_yaml
        if cached and self._parsed is not None and isinstance(data, bytes):
            read = self._parsed.read
        try:
            root, problems = read(
                data,
                max_bytes=self.max_bytes,
                max_depth=self.max_depth,
                max_nodes=self.max_nodes,
                # a library's types are composed when a template uses them
                lazy_sections=_LAZY if lazy else frozenset(),
            )
        except YamlError as exc:
            raise ToscaError([yaml_issue(p, name) for p in exc.problems]) from None
        if not isinstance(root, YMap):
            what = "empty" if root is None else f"a {kind_of(root)}, not a map"
            raise ToscaError([plain_issue("not-a-map", f"the document is {what}", name)])
        doc = Document(name, key, root, base)
        doc.issues.extend(yaml_issue(p, name) for p in problems)
        check_header(doc)
        return doc

    def _raise_if_fatal(self, issues: list[Issue]) -> None:
        fatal = [i for i in issues if i.is_error and i.code in _FATAL_HEADER]
        if fatal:
            raise ToscaError(issues)

    def _document(self, res: Resolved, *, lazy: bool = True) -> Document:
        """A parsed imported document, from the cache when the file is unchanged."""
        try:
            st = os.stat(res.path)
        except OSError as exc:
            raise ToscaError(
                [plain_issue("import-missing", f"cannot read {res.name}: {exc.strerror}", res.name)]
            ) from None
        stamp = (st.st_mtime_ns, st.st_size)
        key = f"{res.name}\0{res.path}"
        with self._lock:
            cached = self._docs.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        if st.st_size > self.max_bytes:
            raise ToscaError(
                [
                    plain_issue(
                        "too-large",
                        f"{res.name} is {st.st_size} bytes, over the limit of {self.max_bytes}",
                        res.name,
                    )
                ]
            )
        try:
            data = res.path.read_bytes()
        except OSError as exc:  # e.g. an import naming a folder
            raise ToscaError(
                [plain_issue("import-missing", f"cannot read {res.name}: {exc.strerror}", res.name)]
            ) from None
        doc = self._parse(data, res.name, key, res.base, lazy=lazy, cached=True)
        with self._lock:
            self._docs[key] = (stamp, doc)
        return doc

    def _collect_imports(
        self, root: Document, log: IssueLog, extra_roots: list[Path]
    ) -> list[tuple[Document, str | None]]:
        """Every imported document once, dependencies first; cycles reported."""
        order: list[tuple[Document, str | None]] = []
        visited: set[str] = set()

        def visit(doc: Document, stack: tuple[str, ...]) -> None:
            for entry in doc.imports:
                try:
                    res = self._resolver.resolve(entry, doc, extra_roots)
                except ImportFailed as exc:
                    log.add(exc.issue)
                    continue
                key = f"{res.name}\0{res.path}"
                if key in stack or str(res.path) == root.key:
                    log.add(
                        doc.issue("import-cycle", f"import cycle through {res.name}", entry.path)
                    )
                    continue
                if key in visited:
                    continue
                visited.add(key)
                try:
                    child = self._document(res)
                except ToscaError as exc:
                    first = exc.issues[0] if exc.issues else None
                    detail = str(first) if first else exc.message
                    log.add(
                        doc.issue(
                            "import-invalid", f"cannot import {res.name}: {detail}", entry.path
                        )
                    )
                    continue
                log.extend(child.issues)
                visit(child, (*stack, key))
                order.append((child, entry.namespace_prefix))

        visit(root, (root.key,))
        return order

    def _library(self, imported: list[tuple[Document, str | None]], log: IssueLog) -> Registry:
        """The resolved type library (normative + imports), shared between templates."""
        normative = self._normative()
        if not imported:
            return normative
        key = tuple((d.key, id(d), prefix) for d, prefix in imported)
        with self._lock:
            cached = self._libraries.get(key)
        if cached is None:
            cached = Registry(normative)
            for d, prefix in imported:
                cached.add_document(d, prefix)
            with self._lock:
                cached = self._libraries.setdefault(key, cached)
        log.extend(cached.issues)
        return cached

    def _normative(self) -> Registry:
        with self._lock:
            cached = self._libraries.get(("normative",))
        if cached is not None:
            return cached
        # small, and much of it used by every template: composed whole, unless the
        # disk cache serves it (then each type is unpickled when first used)
        normative = Resolved(NORMATIVE, "cumulo:normative.yaml", NORMATIVE.parent)
        doc = self._document(normative, lazy=self._parsed is not None)
        reg = Registry()
        reg.add_document(doc, override=True)
        with self._lock:
            return self._libraries.setdefault(("normative",), reg)

    # -- checking and planning --------------------------------------------
    def check(self, tpl: Template, inputs: Mapping[str, Any] | None = None) -> Report:
        """Every issue (errors and warnings); never raises for bad templates."""
        from cumulo.tosca.pipeline import run

        log = IssueLog()
        log.extend(tpl.issues)
        run(tpl, inputs, log, strict_inputs=inputs is not None, max_instances=self.max_instances)
        return Report(log.issues)

    def plan(
        self,
        tpl: Template,
        inputs: Mapping[str, Any] | None = None,
        *,
        require_inputs: bool = True,
    ) -> Plan:
        """The deployable plan; raises ToscaError listing every error.

        ``require_inputs=False`` plans without demanding required inputs (they
        are None): a preview, as ``cumulo validate`` without parameters shows.
        """
        from cumulo.tosca.pipeline import run

        log = IssueLog()
        log.extend(tpl.issues)
        plan = run(
            tpl, inputs or {}, log, strict_inputs=require_inputs, max_instances=self.max_instances
        )
        if plan is None and not log.errors:  # e.g. `topology_template:` left empty
            log.add(
                plain_issue(
                    "no-topology", "the template has no topology_template to plan", tpl.name
                )
            )
        if log.errors or plan is None:
            raise ToscaError(log.issues)
        return plan
