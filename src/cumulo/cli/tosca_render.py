"""Rendering TOSCA issues as a compiler does, and the summary of a valid plan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cumulo.tosca import Issue, Plan
from cumulo.tosca.import_map import is_url, map_url

SourceLines = Callable[[str], list[str] | None]


def source_reader(import_map: dict[str, Path]) -> SourceLines:
    """Lines of a file named in an issue: a path, or a URL served by the import map."""
    cache: dict[str, list[str] | None] = {}

    def read(name: str) -> list[str] | None:
        if name not in cache:
            path: Path | None = Path(name)
            if is_url(name):
                mapped = map_url(name, import_map)
                path = mapped[0] if mapped else None
            try:
                text = path.read_text(encoding="utf-8", errors="replace") if path else None
            except OSError:
                text = None
            cache[name] = text.splitlines() if text is not None else None
        return cache[name]

    return read


def render_issue(issue: Issue, lines: SourceLines) -> str:
    loc = issue.location
    head = f"{loc}: " if loc else ""
    out = [f"{head}{issue.severity.value}: {issue.message}"]
    if loc is not None:
        src = lines(loc.file)
        if src and 1 <= loc.line <= len(src):
            text = src[loc.line - 1].replace("\t", " ")
            out.append(f"  {loc.line:>5} | {text}")
            out.append(f"        | {' ' * (loc.column - 1)}^")
    if issue.path:
        out.append(f"        = at {issue.path}")
    if issue.hint:
        out.append(f"        = hint: {issue.hint}")
    return "\n".join(out)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summary(plan: Plan) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    for inst in plan.instances:
        entry = nodes.setdefault(inst.node, {"type": inst.type, "count": 0, "host": inst.host})
        entry["count"] += 1
    for name in plan.order:
        nodes.setdefault(name, {"type": None, "count": 0, "host": None})
    return {
        "inputs": plan.inputs,
        "node_templates": nodes,
        "instances": len(plan.instances),
        "order": plan.order,
        "outputs": {n: o.description for n, o in plan.outputs.items()},
        "policies": [{"name": p.name, "type": p.type, "targets": p.targets} for p in plan.policies],
    }


def render_summary(plan: Plan) -> str:
    s = summary(plan)
    out = [f"inputs ({len(s['inputs'])}):"]
    out += [f"  {k} = {_short(v)}" for k, v in s["inputs"].items()]
    out.append(f"node templates ({len(s['node_templates'])}), {s['instances']} instances:")
    for name, n in s["node_templates"].items():
        host = f" on {n['host']}" if n["host"] else ""
        out.append(f"  {name}: {n['type']} x{n['count']}{host}")
    out.append("order: " + " -> ".join(s["order"]))
    out.append(f"outputs ({len(s['outputs'])}): " + ", ".join(s["outputs"]))
    if s["policies"]:
        out.append("policies: " + ", ".join(f"{p['name']} ({p['type']})" for p in s["policies"]))
    return "\n".join(out)
