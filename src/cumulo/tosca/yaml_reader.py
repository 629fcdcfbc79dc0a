"""Read YAML into located containers, within limits.

libyaml (PyYAML's ``CSafeLoader``) parses; this module composes its event
stream directly into ``YMap`` / ``YList`` (dict / list subclasses that keep the
line and column of every key and value), so a later stage can point at the
exact place of a problem. Composing from events (not PyYAML's node graph)
keeps it fast and lets us bound nesting depth and alias expansion, so YAML
bombs and deeply nested input fail early with a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import yaml
from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

Mark = tuple[int, int]  # 1-based line, column

# libyaml when PyYAML was built with it (its wheels are); the pure-Python parser
# gives the same events, slower
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_MAX_BYTES = 1 << 20
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_NODES = 200_000  # after alias expansion

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_PASSTHROUGH = {None, "!", _STR, _TIMESTAMP, _MAP, _SEQ}


class YMap(dict):
    """A mapping that remembers where it, its keys and its values are."""

    __slots__ = ("key_marks", "mark", "value_marks")
    # set by the composer right after creation (no __init__: it is the hot path)
    mark: Mark
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]


class YList(list):
    """A sequence that remembers where it and each item are."""

    __slots__ = ("item_marks", "mark")
    mark: Mark
    item_marks: list[Mark]


@dataclass(frozen=True)
class YamlProblem:
    code: str
    message: str
    mark: Mark | None
    is_warning: bool = False


class YamlError(Exception):
    """The text cannot be read; ``problems`` say why and where."""

    def __init__(self, problems: list[YamlProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def mark_at(root: Any, path: tuple) -> Mark | None:
    """The mark of the deepest node reachable along ``path`` (keys / indexes)."""
    node, best = root, getattr(root, "mark", None)
    for i, part in enumerate(path):
        if isinstance(node, YMap) and part in node:
            # a leaf points at its value; an intermediate step at its key's value too
            best = node.value_marks.get(part, best)
            if i == len(path) - 1:
                return best
            node = materialise(node[part])
        elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.item_marks[part]
            node = node[part]
        else:
            break
    return best


def key_mark(node: Any, key: Any) -> Mark | None:
    if isinstance(node, YMap):
        return node.key_marks.get(key, node.mark)
    return getattr(node, "mark", None)


def _mark(m: Any) -> Mark:
    return (m.line + 1, m.column + 1)


def decode(data: str | bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Check size and binary content; return text (raises YamlError)."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlError(
            [YamlProblem("too-large", f"file is {size} bytes, over the limit of {max_bytes}", None)]
        )
    if isinstance(data, bytes):
        if data.startswith((b"\xef\xbb\xbf",)):
            data = data[3:]
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlError(
                [YamlProblem("binary-data", f"not UTF-8 text (byte {exc.start})", None)]
            ) from None
    nul = data.find("\x00")
    if nul >= 0:
        line = data.count("\n", 0, nul) + 1
        col = nul - (data.rfind("\n", 0, nul) + 1) + 1
        raise YamlError([YamlProblem("binary-data", "binary data (NUL byte) in text", (line, col))])
    return data


# Implicit scalar resolution of YAML 1.1 as PyYAML's SafeLoader does it, by first
# character (an immutable table built once from PyYAML's own regexes).
_RESOLVERS: Mapping[str, tuple] = MappingProxyType(
    {
        first: tuple((tag, rx) for tag, rx in rules if tag in (_BOOL, _NULL, _INT, _FLOAT, _MERGE))
        for first, rules in Resolver.yaml_implicit_resolvers.items()
    }
)
_TRUE_WORDS = frozenset({"yes", "true", "on", "y"})
_MERGE_KEY = object()


def _plain(text: str, ctor: SafeConstructor) -> Any:
    """The value of a plain (unquoted, untagged) scalar."""
    for tag, rx in _RESOLVERS.get(text[:1], ()):
        if rx.match(text):
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return text.lower() in _TRUE_WORDS
            if tag == _INT:
                return ctor.construct_yaml_int(ScalarNode(tag, text))
            if tag == _FLOAT:
                return ctor.construct_yaml_float(ScalarNode(tag, text))
            return _MERGE_KEY
    return text


def _tagged(tag: str, text: str, ctor: SafeConstructor) -> Any:
    """The value of a scalar with an explicit tag (``!!str 1``)."""
    if tag in _PASSTHROUGH:
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() in _TRUE_WORDS
    if tag == _INT:
        return ctor.construct_yaml_int(ScalarNode(tag, text))
    if tag == _FLOAT:
        return ctor.construct_yaml_float(ScalarNode(tag, text))
    raise ValueError(f"unsupported YAML tag {tag!r}")


def read_yaml(
    data: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
    lazy_sections: frozenset[str] = frozenset(),
) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; return (root, warnings) or raise YamlError.

    ``lazy_sections``: top-level sections (of a type library) whose entries are
    checked as YAML now but composed only when used (``LazyValue``): most
    templates use a few of a library's types.
    """
    text = decode(data, max_bytes)
    if lazy_sections and not _LAZY_SAFE.search(text):
        try:
            return _read(text, max_depth, max_nodes, _Source(text, lazy_sections, max_depth))
        except _LazyAbort:
            pass  # anchors or odd layout: compose everything now
    return _read(text, max_depth, max_nodes, None)


def _read(text: str, max_depth: int, max_nodes: int, source: _Source | None):
    loader = _LOADER(text)
    try:
        return _Composer(max_depth, max_nodes, source).run(loader.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise YamlError([YamlProblem("not-yaml", msg, _mark(mark) if mark else None)]) from None
    except yaml.YAMLError as exc:
        raise YamlError([YamlProblem("not-yaml", str(exc), None)]) from None
    finally:
        loader.dispose()


class _Frame:
    __slots__ = (
        "anchor",
        "container",
        "is_map",
        "key",
        "key_m",
        "lazy",
        "merge",
        "merged",
        "pending",
        "start",
    )

    def __init__(self, container: YMap | YList, anchor: str | None) -> None:
        self.container = container
        self.is_map = type(container) is YMap
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_m: Mark = (0, 0)
        self.merge = False
        self.merged: set | None = None  # keys from '<<': explicit ones override them
        self.start = 0  # the running node count when it opened (itself included)
        self.lazy = False  # a section whose entries are read on demand (LazyValue)
        self.pending: LazyValue | None = None  # its last entry, still open at the end


_NO_KEY = object()


def _fail(code: str, message: str, mark: Mark | None) -> YamlError:
    return YamlError([YamlProblem(code, message, mark)])


class _Composer:
    """Builds located containers from libyaml's events, counting every node
    (aliases expanded) against the budget and refusing deep nesting."""

    def __init__(self, max_depth: int, max_nodes: int, source: _Source | None = None) -> None:
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.warnings: list[YamlProblem] = []
        self.root: Any = None
        self.have_root = False
        self.ctor = SafeConstructor()
        self.source = source

    def run(self, get_event) -> tuple[Any, list[YamlProblem]]:  # the hot loop, inlined
        stack = self.stack
        ctor = self.ctor
        resolvers = _RESOLVERS.get
        no_key = _NO_KEY
        documents = 0
        top: _Frame | None = None  # stack[-1], kept in a local: this loop runs per event
        total = 0  # nodes so far, aliases expanded: the budget against YAML bombs
        max_nodes = self.max_nodes
        scalar_cls, alias_cls = ev.ScalarEvent, ev.AliasEvent
        map_start, seq_start = ev.MappingStartEvent, ev.SequenceStartEvent
        map_end, seq_end = ev.MappingEndEvent, ev.SequenceEndEvent
        while True:
            event = get_event()
            if event is None:
                break
            cls = event.__class__
            if cls is scalar_cls:
                sm = event.start_mark
                mark = (sm.line + 1, sm.column + 1)
                tag = event.tag
                value = event.value
                if tag is None and event.implicit[0]:  # plain: resolve its type
                    if resolvers(value[:1]):
                        value = _plain(value, ctor)
                        if value is _MERGE_KEY:
                            if top is not None and top.is_map and top.key is no_key:
                                top.key, top.key_m, top.merge = "<<", mark, True
                                continue
                            value = event.value
                elif tag is not None and tag != "!":
                    if tag == "tag:yaml.org,2002:binary":
                        raise _fail("binary-data", "binary data (!!binary) is not supported", mark)
                    try:
                        value = _tagged(tag, value, ctor)
                    except ValueError as exc:
                        raise _fail("bad-tag", str(exc), mark) from None
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                total += 1
                if top is None:
                    self.root, self.have_root = value, True
                    continue
                if not top.is_map:
                    top.container.append(value)
                    top.container.item_marks.append(mark)
                elif top.key is no_key:
                    top.key = value
                    top.key_m = mark
                    if top.lazy:
                        _next_entry(top, value, mark)
                else:
                    key = top.key
                    c = top.container
                    if key in c or top.merge or top.merged:
                        self._put(top, value, mark)  # the rare cases: duplicates, merges
                        continue
                    top.key = no_key
                    try:
                        c[key] = value
                    except TypeError:
                        raise _fail(
                            "bad-key", f"unhashable mapping key {key!r}", top.key_m
                        ) from None
                    c.key_marks[key] = top.key_m
                    c.value_marks[key] = mark
            elif cls is map_start or cls is seq_start:
                sm = event.start_mark
                mark = (sm.line + 1, sm.column + 1)
                if event.tag not in _PASSTHROUGH:
                    raise _fail("bad-tag", f"unsupported YAML tag {event.tag!r}", mark)
                if len(stack) >= self.max_depth:
                    raise _fail("too-deep", f"nesting deeper than {self.max_depth} levels", mark)
                if top is not None and top.lazy and top.key is not no_key:
                    section = stack[0].key
                    lazy = LazyValue(self.source, section, top.key, top.key_m[0])  # type: ignore[arg-type]
                    top.pending = lazy
                    total += self._skip(get_event, event, len(stack))
                    if total > max_nodes:
                        raise self._too_many(mark)
                    self._put(top, lazy, mark)
                    continue
                if cls is map_start:
                    container: Any = YMap()
                    container.key_marks = {}
                    container.value_marks = {}
                else:
                    container = YList()
                    container.item_marks = []
                container.mark = mark
                if event.anchor:
                    self.open_anchors.add(event.anchor)
                top = _Frame(container, event.anchor)
                if (
                    self.source is not None
                    and len(stack) == 1
                    and cls is map_start
                    and stack[0].key in self.source.sections
                ):
                    top.lazy = not event.flow_style
                total += 1
                top.start = total
                stack.append(top)
            elif cls is map_end or cls is seq_end:
                frame = stack.pop()
                top = stack[-1] if stack else None
                if frame.pending is not None:  # the section's last entry ends here
                    em = event.start_mark
                    frame.pending.end = em.line if em.column == 0 else em.line + 1
                if frame.anchor:
                    self.open_anchors.discard(frame.anchor)
                    weight = total - frame.start + 1
                    self.anchors[frame.anchor] = (frame.container, weight)
                if total > max_nodes:
                    raise self._too_many(frame.container.mark)
                self._attach(frame.container, frame.container.mark)
            elif cls is alias_cls:
                sm = event.start_mark
                mark = (sm.line + 1, sm.column + 1)
                if event.anchor in self.open_anchors:
                    raise _fail("recursive-alias", f"alias *{event.anchor} refers to itself", mark)
                if event.anchor not in self.anchors:
                    raise _fail("unknown-alias", f"unknown alias *{event.anchor}", mark)
                value, weight = self.anchors[event.anchor]
                total += weight
                if total > max_nodes:
                    raise self._too_many(mark)
                self._attach(value, mark)
            elif cls is ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _fail(
                        "many-documents",
                        "more than one YAML document; a template is one document",
                        _mark(event.start_mark),
                    )
        return (self.root if self.have_root else None), self.warnings

    def _skip(self, get_event, first: Any, depth: int) -> int:
        """Consume a lazy entry's events (libyaml still checks them); its node count."""
        if first.anchor:
            raise _LazyAbort
        map_start, seq_start = ev.MappingStartEvent, ev.SequenceStartEvent
        map_end, seq_end = ev.MappingEndEvent, ev.SequenceEndEvent
        level, count = 1, 1
        while level:
            event = get_event()
            cls = event.__class__
            count += 1
            if cls is map_start or cls is seq_start:
                level += 1
                if event.anchor or level + depth > self.max_depth:
                    raise _LazyAbort  # composing it all reports the depth with its place
            elif cls is map_end or cls is seq_end:
                level -= 1
            elif cls is ev.AliasEvent or event.anchor:
                raise _LazyAbort
        return count

    def _too_many(self, mark: Mark) -> YamlError:
        return _fail(
            "alias-bomb",
            f"document has more than {self.max_nodes} nodes once aliases are expanded",
            mark,
        )

    def _attach(self, value: Any, mark: Mark) -> None:
        """Put a finished container (or an alias's value) into its parent."""
        stack = self.stack
        if not stack:
            self.root, self.have_root = value, True
            return
        top = stack[-1]
        if not top.is_map:
            top.container.append(value)
            top.container.item_marks.append(mark)
        elif top.key is _NO_KEY:
            if isinstance(value, YMap | YList):
                raise _fail("bad-key", "a mapping key must be a scalar", mark)
            top.key, top.key_m = value, mark
        else:
            self._put(top, value, mark)

    def _put(self, top: _Frame, value: Any, mark: Mark) -> None:
        c = top.container
        key = top.key
        top.key = _NO_KEY
        if top.merge and key == "<<":
            top.merge = False
            top.merged = set(_merge(c, value, mark))
            return
        if top.merged and key in top.merged:
            top.merged.discard(key)
        elif key in c:
            self.warnings.append(
                YamlProblem("duplicate-key", f"duplicate key {key!r}", top.key_m, True)
            )
        try:
            c[key] = value
        except TypeError:
            raise _fail("bad-key", f"unhashable mapping key {key!r}", top.key_m) from None
        c.key_marks[key] = top.key_m
        c.value_marks[key] = mark


def _merge(target: YMap, value: Any, mark: Mark) -> list:
    added = []
    sources = value if isinstance(value, YList) else [value]
    for src in sources:
        if not isinstance(src, YMap):
            raise _fail("bad-merge", "'<<' merges only mappings", mark)
        for k, v in src.items():
            if k not in target:
                target[k] = v
                target.key_marks[k] = src.key_marks.get(k, mark)
                target.value_marks[k] = src.value_marks.get(k, mark)
                added.append(k)
    return added


# -- lazy sections ---------------------------------------------------------
# Document markers, directives and anchors make line slices unsafe: compose all.
_LAZY_SAFE = re.compile(r"^(?:---|\.\.\.|%)|[&*][^\s,\]}]", re.MULTILINE)


class _LazyAbort(Exception):
    """This document cannot be read lazily; compose it whole instead."""


class _Source:
    """The text of a document read lazily, and which sections are lazy."""

    def __init__(self, text: str, sections: frozenset[str], max_depth: int) -> None:
        self.text = text
        self.sections = sections
        self.max_depth = max_depth
        self._lines: list[str] | None = None

    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines(keepends=True)
        return self._lines


def _next_entry(section: _Frame, key: Any, mark: Mark) -> None:
    """A new key in a lazy section closes the previous entry on the line before."""
    if section.pending is not None:
        section.pending.end = mark[0] - 1
        section.pending = None
    if mark[1] != section.container.mark[1]:
        raise _LazyAbort  # keys not aligned with the section: not a plain block map


class LazyValue:
    """An entry of a type library composed on first use, from its own lines.

    libyaml has already checked the whole document; ``load`` parses the entry's
    lines again (line numbers kept) and returns the located value.
    """

    __slots__ = ("_value", "end", "key", "problems", "section", "source", "start")

    def __init__(self, source: _Source, section: str, key: Any, start: int) -> None:
        self.source = source
        self.section = section
        self.key = key
        self.start = start  # 1-based line of its key
        self.end = start  # 1-based last line, set when the next entry starts
        self._value: Any = _NO_KEY
        self.problems: list[YamlProblem] = []

    def load(self) -> Any:
        if self._value is _NO_KEY:
            lines = self.source.lines()[self.start - 1 : self.end]
            text = "\n" * (self.start - 1) + "".join(lines)
            try:
                root, problems = _read(text, self.source.max_depth, DEFAULT_MAX_NODES, None)
            except YamlError:
                root, problems = None, []
            if not isinstance(root, YMap) or list(root) != [self.key]:
                # never expected (libyaml read it whole already); be right anyway
                whole, problems = _read(self.source.text, self.source.max_depth, 1 << 30, None)
                root = {self.key: materialise(whole[self.section][self.key])}
            self.problems = problems
            self._value = root[self.key]
        return self._value


def materialise(value: Any) -> Any:
    return value.load() if isinstance(value, LazyValue) else value
