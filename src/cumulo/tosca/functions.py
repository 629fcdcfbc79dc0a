"""TOSCA intrinsic functions: their evaluation, at plan time and at run time.

At plan time (``attributes`` is None) everything that needs runtime
attributes (``get_attribute``, ``get_operation_output``) becomes a
``Deferred``; so does any expression containing one (``concat`` of an
address). At run time the engine passes ``attributes(node, index)`` and the
same code finishes the job. Unknown runtime values evaluate to None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cumulo.tosca.plan import AttributesFn, Deferred, NodeInstance, own_copy
from cumulo.tosca.primitives import FUNCTION_NAMES, is_function

if TYPE_CHECKING:
    from cumulo.tosca.model import NodeModel

_MAX_DEPTH = 32
ADDRESS_ATTRIBUTES = frozenset({"public_address", "private_address"})


class FunctionError(Exception):
    """A function that cannot be evaluated (bad reference); message for the user."""


@dataclass(frozen=True)
class Ctx:
    node: str | None = None  # SELF
    index: int | None = None
    source: str | None = None  # SOURCE / TARGET inside relationships
    target: str | None = None
    # inside a relationship SELF is the relationship: its property values
    relationship: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)


class Evaluator:
    def __init__(
        self,
        inputs: Mapping[str, Any],
        nodes: Mapping[str, NodeModel],
        counts: Mapping[str, int],
        hosts: Mapping[str, str | None],
    ) -> None:
        self.inputs = inputs
        self.nodes = nodes
        self.counts = counts
        self.hosts = hosts

    # -- entry points --------------------------------------------------------
    def plan_value(self, expr: Any, ctx: Ctx) -> Any:
        """Evaluate what can be now; the rest becomes Deferred. Raises FunctionError."""
        return own_copy(self._value(expr, ctx, None, 0))

    def final(self, expr: Any, instance: NodeInstance | None, attributes: AttributesFn) -> Any:
        ctx = Ctx(instance.node, instance.index) if instance else Ctx()
        try:
            return own_copy(self._value(expr, ctx, attributes, 0))
        except FunctionError:
            return None

    # -- recursion -------------------------------------------------------------
    def _value(self, expr: Any, ctx: Ctx, attrs: AttributesFn | None, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise FunctionError("functions nest too deeply (a reference cycle?)")
        if isinstance(expr, Deferred):
            if attrs is None:
                return expr
            return self._value(expr.expr, Ctx(expr.node, expr.index), attrs, depth + 1)
        if is_function(expr):
            name, args = next(iter(expr.items()))
            handler: Callable = getattr(self, f"_f_{name}")
            try:
                return handler(expr, args, ctx, attrs, depth + 1)
            except (TypeError, ValueError, AttributeError) as exc:  # arguments of the wrong shape
                raise FunctionError(f"{name}: bad arguments {_show(_flat(args))}") from exc
        if isinstance(expr, dict):
            return {k: self._value(v, ctx, attrs, depth + 1) for k, v in expr.items()}
        if isinstance(expr, list):
            return [self._value(v, ctx, attrs, depth + 1) for v in expr]
        return expr

    def _args(self, args: Any, ctx, attrs, depth) -> list:
        items = args if isinstance(args, list) else [args]
        return [self._value(a, ctx, attrs, depth) for a in items]

    # -- functions -------------------------------------------------------------
    def _f_get_input(self, expr, args, ctx, attrs, depth):
        parts = self._args(args, ctx, attrs, depth)
        if not parts or not isinstance(parts[0], str):
            raise FunctionError("get_input needs an input name")
        if parts[0] not in self.inputs:
            raise FunctionError(f"get_input: no input {parts[0]!r}")
        return _walk(self.inputs[parts[0]], parts[1:])

    def _f_get_property(self, expr, args, ctx, attrs, depth):
        if not isinstance(args, list) or len(args) < 2:
            raise FunctionError("get_property needs [entity, property, ...]")
        if args[0] == "SELF" and ctx.relationship is not None:
            if args[1] in ctx.relationship:
                value = self._value(ctx.relationship[args[1]], ctx, attrs, depth + 1)
                return _walk(value, list(args[2:]))
            raise FunctionError(f"get_property: the relationship has no property {args[1]!r}")
        for node in self._entities(args[0], ctx, args[1:]):
            found, value, rest, owner = self._property(node, args[1:])
            if found:
                sub = Ctx(owner, ctx.index if owner == ctx.node else None)
                return _walk(self._value(value, sub, attrs, depth + 1), rest)
        raise FunctionError(f"get_property: {args[0]} has no property {_show(args[1:])}")

    def _property(self, node: str, path: list) -> tuple[bool, Any, list, str]:
        model = self.nodes[node]
        first = path[0]
        if first in model.capabilities and len(path) > 1 and path[1] in model.capabilities[first]:
            return True, model.capabilities[first][path[1]], path[2:], node
        if first in model.properties:
            return True, model.properties[first], path[1:], node
        if first in model.type.properties:  # declared but not set: no value
            return True, None, [], node
        for req in model.requirements:  # [SELF, requirement, property]: the target's
            if req.name == first and req.target and len(path) > 1:
                target = self.nodes[req.target]  # capability that fulfils it, then the node
                cap = target.capabilities.get(req.capability or "")
                if cap is not None and path[1] in cap:
                    return True, cap[path[1]], path[2:], req.target
                return self._property(req.target, path[1:])
        return False, None, [], node

    def _entities(self, entity: Any, ctx: Ctx, path: list) -> list[str]:
        """The node(s) an entity keyword names, nearest first (HOST walks the chain)."""
        if entity == "SELF":
            nodes = [ctx.node]
        elif entity == "SOURCE":
            nodes = [ctx.source]
        elif entity == "TARGET":
            nodes = [ctx.target]
        elif entity == "HOST":
            nodes, current, seen = [], self.hosts.get(ctx.node or ""), set()
            while current and current not in seen:
                seen.add(current)
                nodes.append(current)
                current = self.hosts.get(current)
            if not nodes:
                raise FunctionError(f"HOST: {ctx.node} is hosted on nothing")
        else:
            nodes = [entity]
        for n in nodes:
            if n is None:
                raise FunctionError(f"{entity} has no meaning here")
            if not isinstance(n, str) or n not in self.nodes:
                raise FunctionError(f"no node template {n!r}")
        return nodes

    def _f_get_attribute(self, expr, args, ctx, attrs, depth):
        if not isinstance(args, list) or len(args) < 2:
            raise FunctionError("get_attribute needs [entity, attribute, ...]")
        nodes = self._entities(args[0], ctx, args[1:])
        if attrs is None:
            return Deferred(expr, ctx.node, ctx.index)
        node = nodes[0]
        if args[0] == "HOST":  # the nearest host that declares the attribute
            node = next((n for n in nodes if self.nodes[n].declares(args[1])), node)
        model = self.nodes[node]
        path = list(args[1:])
        cap = None
        if path[0] in model.capabilities and len(path) > 1 and isinstance(path[1], str):
            cap = path.pop(0)
        name = path.pop(0)

        def read(index: int) -> Any:
            values = attrs(node, index) or {}
            if cap is not None:
                capv = values.get(cap)
                if isinstance(capv, dict) and name in capv:
                    return capv[name]
            if name in values:
                return values[name]
            return model.attributes.get(name)

        count = self.counts.get(node, 1)
        if args[0] == "SELF" and ctx.index is not None:
            return _walk(read(ctx.index), path)
        if args[0] == "HOST" and ctx.index is not None and ctx.index < count:
            return _walk(read(ctx.index), path)  # the host instance beside this one
        if path and isinstance(path[0], int) and not isinstance(path[0], bool):
            i = path.pop(0)
            if count > 1 or i != 0:
                if 0 <= i < count:
                    value = read(i)
                    if name in ADDRESS_ATTRIBUTES and isinstance(value, list) and not path:
                        return value[0] if value else None  # IM: one address per instance
                    return _walk(value, path)
                if count == 1:
                    return _walk(read(0), [i, *path])  # index into the value
                return None
            value = read(0)
            if name in ADDRESS_ATTRIBUTES and isinstance(value, list):
                return _walk(value, [0, *path])
            return _walk(value, path)
        if count == 1:
            return _walk(read(0), path)
        return [_walk(read(i), path) for i in range(count)]

    def _f_get_operation_output(self, expr, args, ctx, attrs, depth):
        if not isinstance(args, list) or len(args) != 4:
            raise FunctionError("get_operation_output needs [entity, interface, operation, name]")
        node = self._entities(args[0], ctx, [])[0]
        if attrs is None:
            return Deferred(expr, ctx.node, ctx.index)
        index = ctx.index if node == ctx.node and ctx.index is not None else 0
        outputs = (attrs(node, index) or {}).get("operation_outputs") or {}
        return _walk(outputs, [f"{args[1]}.{args[2]}", args[3]])

    def _f_get_artifact(self, expr, args, ctx, attrs, depth):
        if not isinstance(args, list) or len(args) < 2:
            raise FunctionError("get_artifact needs [entity, artifact, ...]")
        node = self._entities(args[0], ctx, [])[0]
        artifact = self.nodes[node].artifacts.get(args[1])
        if artifact is None:
            raise FunctionError(f"get_artifact: {node} has no artifact {args[1]!r}")
        if len(args) > 2 and args[2] not in (None, "LOCAL_FILE") and attrs is None:
            return Deferred(expr, ctx.node, ctx.index)
        return artifact.get("file")

    def _f_concat(self, expr, args, ctx, attrs, depth):
        parts = self._args(args, ctx, attrs, depth)
        if any(isinstance(p, Deferred) for p in parts):
            return Deferred(expr, ctx.node, ctx.index)
        if any(p is None for p in parts) and attrs is not None:
            return None
        return "".join(_text(p) for p in parts)

    def _f_join(self, expr, args, ctx, attrs, depth):
        parts = self._args(args, ctx, attrs, depth)
        if not parts or not isinstance(parts[0], list | Deferred):
            raise FunctionError("join needs [list, delimiter]")
        if any(isinstance(p, Deferred) for p in [*parts, *_flat(parts[0])]):
            return Deferred(expr, ctx.node, ctx.index)
        delimiter = _text(parts[1]) if len(parts) > 1 else ""
        return delimiter.join(_text(p) for p in parts[0])

    def _f_token(self, expr, args, ctx, attrs, depth):
        parts = self._args(args, ctx, attrs, depth)
        if len(parts) != 3:
            raise FunctionError("token needs [string, separators, index]")
        if any(isinstance(p, Deferred) for p in parts):
            return Deferred(expr, ctx.node, ctx.index)
        text, seps, index = parts
        if text is None:
            return None
        pieces = [str(text)]
        for sep in str(seps):
            pieces = [q for p in pieces for q in p.split(sep)]
        return (
            pieces[index]
            if isinstance(index, int) and -len(pieces) <= index < len(pieces)
            else None
        )

    def _f_get_nodes_of_type(self, expr, args, ctx, attrs, depth):
        type_name = args[0] if isinstance(args, list) and args else args
        return [n for n, m in self.nodes.items() if m.type.is_a(type_name)]


def _walk(value: Any, path: list) -> Any:
    for part in path:
        if isinstance(value, Deferred):
            return value
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and -len(value) <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _flat(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _show(path: list) -> str:
    return ".".join(str(p) for p in path)


__all__ = ["FUNCTION_NAMES", "Ctx", "Evaluator", "FunctionError"]
