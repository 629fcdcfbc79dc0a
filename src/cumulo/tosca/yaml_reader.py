"""Read YAML into located containers, within limits.

libyaml (PyYAML's ``CSafeLoader``) parses; ``yaml_composer`` turns its event
stream directly into ``YMap`` / ``YList`` (dict / list subclasses that keep the
line and column of every key and value, defined here), so a later stage can
point at the exact place of a problem. Composing from events (not PyYAML's
node graph) keeps it fast and lets us bound nesting depth and alias
expansion, so YAML bombs and deeply nested input fail early with a clear
message. Type libraries may be read lazily (``LazyValue``): checked whole,
each entry composed when first used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

Mark = tuple[int, int]  # 1-based line, column

# libyaml when PyYAML was built with it (its wheels are); the pure-Python parser
# gives the same events, slower
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_MAX_BYTES = 1 << 20
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_NODES = 200_000  # after alias expansion


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


def line_column(m: Any) -> Mark:
    """A YAML mark as (line, column), both from 1."""
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
    if lazy_sections and not _lazy_unsafe(text):
        try:
            return _read(text, max_depth, max_nodes, LazySource(text, lazy_sections, max_depth))
        except LazyAbort:
            pass  # anchors or odd layout: compose everything now
    return _read(text, max_depth, max_nodes, None)


def _read(text: str, max_depth: int, max_nodes: int, source: LazySource | None):
    from cumulo.tosca.yaml_composer import Composer  # it builds on this module's types

    loader = _LOADER(text)
    try:
        return Composer(max_depth, max_nodes, source).run(loader.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise YamlError(
            [YamlProblem("not-yaml", msg, line_column(mark) if mark else None)]
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError([YamlProblem("not-yaml", str(exc), None)]) from None
    finally:
        loader.dispose()


# -- lazy sections ---------------------------------------------------------
# Document markers, directives and anchors make line slices unsafe: compose all.
_ANCHOR_OR_ALIAS = re.compile(r"[&*][^\s,\]}]")


def _lazy_unsafe(text: str) -> bool:
    """True when line slices could misread the text (markers, anchors, aliases).
    Substring tests first: they are fast, and usually settle it."""
    if text.startswith(("---", "...", "%")) or "\n---" in text or "\n..." in text:
        return True
    if "\n%" in text:
        return True
    return ("&" in text or "*" in text) and _ANCHOR_OR_ALIAS.search(text) is not None


class LazyAbort(Exception):
    """This document cannot be read lazily; compose it whole instead."""


class LazySource:
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


_UNREAD = object()


class LazyValue:
    """An entry of a type library composed on first use, from its own lines.

    libyaml has already checked the whole document; ``load`` parses the entry's
    lines again (line numbers kept) and returns the located value.
    """

    __slots__ = ("_value", "end", "key", "problems", "section", "source", "start")

    def __init__(self, source: LazySource, section: str, key: Any, start: int) -> None:
        self.source = source
        self.section = section
        self.key = key
        self.start = start  # 1-based line of its key
        self.end = start  # 1-based last line, set when the next entry starts
        self._value: Any = _UNREAD
        self.problems: list[YamlProblem] = []

    def load(self) -> Any:
        if self._value is _UNREAD:
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
