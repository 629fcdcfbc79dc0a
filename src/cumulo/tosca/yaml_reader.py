"""Read YAML into located containers, within limits.

libyaml (PyYAML's ``CSafeLoader``) parses; this module composes its event
stream directly into ``YMap`` / ``YList`` (dict / list subclasses that keep the
line and column of every key and value), so a later stage can point at the
exact place of a problem. Composing from events (not PyYAML's node graph)
keeps it fast and lets us bound nesting depth and alias expansion, so YAML
bombs and deeply nested input fail early with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

Mark = tuple[int, int]  # 1-based line, column

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

    def __init__(self, mark: Mark = (0, 0)) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}


class YList(list):
    """A sequence that remembers where it and each item are."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: Mark = (0, 0)) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []


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
            node = node[part]
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


class _Scalars:
    """Turn plain scalars into Python values with YAML 1.1 rules (as SafeLoader)."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self._ctor = SafeConstructor()

    def tag_of(self, event: ev.ScalarEvent) -> str | None:
        tag = event.tag
        if tag is None or tag == "!":
            return self._loader.resolve(ScalarNode, event.value, event.implicit)
        return tag

    def value(self, tag: str | None, event: ev.ScalarEvent) -> Any:
        text = event.value
        if tag in _PASSTHROUGH:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text.lower() in ("yes", "true", "on", "y")
        node = ScalarNode(tag, text)
        if tag == _INT:
            return self._ctor.construct_yaml_int(node)
        if tag == _FLOAT:
            return self._ctor.construct_yaml_float(node)
        raise ValueError(f"unsupported YAML tag {tag!r}")


def read_yaml(
    data: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; return (root, warnings) or raise YamlError."""
    text = decode(data, max_bytes)
    loader = yaml.CSafeLoader(text)
    try:
        return _compose(loader, _Scalars(loader), max_depth, max_nodes)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise YamlError([YamlProblem("not-yaml", msg, _mark(mark) if mark else None)]) from None
    except yaml.YAMLError as exc:
        raise YamlError([YamlProblem("not-yaml", str(exc), None)]) from None
    finally:
        loader.dispose()


class _Frame:
    __slots__ = ("anchor", "container", "key", "key_m", "merge", "merged", "weight")

    def __init__(self, container: YMap | YList, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.merge = False
        self.merged: set = set()  # keys that came from '<<': explicit ones override them
        self.key: Any = _NO_KEY
        self.key_m: Mark = (0, 0)
        self.weight = 1


_NO_KEY = object()


def _compose(loader: Any, scalars: _Scalars, max_depth: int, max_nodes: int):
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    open_anchors: dict[int, str] = {}  # id(frame) -> anchor, for recursive aliases
    warnings: list[YamlProblem] = []
    total = 0
    root: Any = None
    documents = 0
    have_root = False

    def fail(code: str, message: str, mark: Mark | None) -> YamlError:
        return YamlError([YamlProblem(code, message, mark)])

    def attach(value: Any, mark: Mark, weight: int) -> None:
        nonlocal root, have_root, total
        total += weight
        if total > max_nodes:
            raise fail(
                "alias-bomb",
                f"document expands to more than {max_nodes} nodes (alias expansion limit)",
                mark,
            )
        if not stack:
            root, have_root = value, True
            return
        top = stack[-1]
        top.weight += weight
        c = top.container
        if isinstance(c, YList):
            c.append(value)
            c.item_marks.append(mark)
        elif top.key is _NO_KEY:
            if isinstance(value, YMap | YList):
                raise fail("bad-key", "a mapping key must be a scalar", mark)
            top.key, top.key_m = value, mark
        else:
            key = top.key
            top.key = _NO_KEY
            if key == "<<" and top.merge:
                top.merged.update(_merge(c, value, mark, fail))
                return
            if key in top.merged:
                top.merged.discard(key)
            elif key in c:
                warnings.append(
                    YamlProblem("duplicate-key", f"duplicate key {key!r}", top.key_m, True)
                )
            try:
                c[key] = value
            except TypeError:
                raise fail("bad-key", f"unhashable mapping key {key!r}", top.key_m) from None
            c.key_marks[key] = top.key_m
            c.value_marks[key] = mark

    while True:
        event = loader.get_event()
        if event is None:
            break
        cls = type(event)
        if cls is ev.ScalarEvent:
            mark = _mark(event.start_mark)
            tag = scalars.tag_of(event)
            if tag == "tag:yaml.org,2002:binary":
                raise fail("binary-data", "binary data (!!binary) is not supported", mark)
            if tag == _MERGE:
                if stack and isinstance(stack[-1].container, YMap) and stack[-1].key is _NO_KEY:
                    stack[-1].key, stack[-1].key_m = "<<", mark
                    stack[-1].merge = True
                    continue
                value: Any = "<<"
            else:
                try:
                    value = scalars.value(tag, event)
                except ValueError as exc:
                    raise fail("bad-tag", str(exc), mark) from None
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            attach(value, mark, 1)
        elif cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
            mark = _mark(event.start_mark)
            if event.tag not in _PASSTHROUGH:
                raise fail("bad-tag", f"unsupported YAML tag {event.tag!r}", mark)
            if len(stack) >= max_depth:
                raise fail("too-deep", f"nesting deeper than {max_depth} levels", mark)
            container = YMap(mark) if cls is ev.MappingStartEvent else YList(mark)
            frame = _Frame(container, event.anchor)
            if event.anchor:
                open_anchors[id(frame.container)] = event.anchor
            stack.append(frame)
        elif cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
            frame = stack.pop()
            anchor = frame.anchor
            if anchor:
                open_anchors.pop(id(frame.container), None)
                anchors[anchor] = (frame.container, frame.weight)
            # the container's children were counted already; count only itself here
            total -= frame.weight - 1
            attach(frame.container, frame.container.mark, frame.weight)
        elif cls is ev.AliasEvent:
            mark = _mark(event.start_mark)
            if event.anchor in open_anchors.values():
                raise fail("recursive-alias", f"alias *{event.anchor} refers to itself", mark)
            if event.anchor not in anchors:
                raise fail("unknown-alias", f"unknown alias *{event.anchor}", mark)
            value, weight = anchors[event.anchor]
            attach(value, mark, weight)
        elif cls is ev.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise fail(
                    "many-documents",
                    "more than one YAML document; a template is one document",
                    _mark(event.start_mark),
                )
    return (root if have_root else None), warnings


def _merge(target: YMap, value: Any, mark: Mark, fail) -> list:
    added = []
    sources = value if isinstance(value, YList) else [value]
    for src in sources:
        if not isinstance(src, YMap):
            raise fail("bad-merge", "'<<' merges only mappings", mark)
        for k, v in src.items():
            if k not in target:
                target[k] = v
                target.key_marks[k] = src.key_marks.get(k, mark)
                target.value_marks[k] = src.value_marks.get(k, mark)
                added.append(k)
    return added
