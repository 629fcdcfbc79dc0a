"""The issues loading raises before a document exists to locate them: a file's
whole-file problems and the YAML reader's, placed at their line and column."""

from __future__ import annotations

from cumulo.tosca.issues import Issue, Location, Severity
from cumulo.tosca.yaml_reader import YamlProblem


def kind_of(value: object) -> str:
    if isinstance(value, list):
        return "list"
    return "single value" if not isinstance(value, dict) else "map"


def plain_issue(code: str, message: str, file: str) -> Issue:
    """An error about a whole file (pointed at its start)."""
    return Issue(Severity.ERROR, code, message, Location(file, 1, 1))


def yaml_issue(p: YamlProblem, name: str) -> Issue:
    loc = Location(name, p.mark[0], p.mark[1]) if p.mark else Location(name, 1, 1)
    sev = Severity.WARNING if p.is_warning else Severity.ERROR
    return Issue(sev, p.code, p.message, loc)
