"""Composing libyaml's event stream into located containers (``YMap``, ``YList``).

The hot loop of reading templates: scalars resolved as YAML 1.1 (as PyYAML's
SafeLoader), every node counted against the budget (aliases expanded) so YAML
bombs fail fast, nesting bounded, and, for type libraries, the entries of
lazy sections skipped (libyaml still checks them) and left as ``LazyValue``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from cumulo.tosca.text import NOT_TEXT, bad_character, not_text_message
from cumulo.tosca.yaml_reader import (
    LazyAbort,
    LazySource,
    LazyValue,
    Mark,
    YamlError,
    YamlProblem,
    YList,
    YMap,
    line_column,
)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_PASSTHROUGH = frozenset({None, "!", _STR, _TIMESTAMP, _MAP, _SEQ})

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


class Composer:
    """Builds located containers from libyaml's events, counting every node
    (aliases expanded) against the budget and refusing deep nesting."""

    def __init__(self, max_depth: int, max_nodes: int, source: LazySource | None = None) -> None:
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
                if event.style == '"' and isinstance(value, str) and NOT_TEXT.search(value):
                    # only a double-quoted scalar's escapes make them: libyaml refuses the rest
                    found = bad_character(value) or ""
                    raise _fail("bad-character", f"a quoted string {not_text_message(found)}", mark)
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
                        line_column(event.start_mark),
                    )
        return (self.root if self.have_root else None), self.warnings

    def _skip(self, get_event, first: Any, depth: int) -> int:
        """Consume a lazy entry's events (libyaml still checks them); its node count."""
        if first.anchor:
            raise LazyAbort
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
                    raise LazyAbort  # composing it all reports the depth with its place
            elif cls is map_end or cls is seq_end:
                level -= 1
            elif cls is ev.AliasEvent or event.anchor:
                raise LazyAbort
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


def _next_entry(section: _Frame, key: Any, mark: Mark) -> None:
    """A new key in a lazy section closes the previous entry on the line before."""
    if section.pending is not None:
        section.pending.end = mark[0] - 1
        section.pending = None
    if mark[1] != section.container.mark[1]:
        raise LazyAbort  # keys not aligned with the section: not a plain block map
