"""Issues: every problem the processor finds, located and graded.

Stages never raise on bad input; they add issues to an ``IssueLog`` and carry
on, so a user sees every problem at once. ``ToscaError`` (``cumulo.errors``)
wraps the list when a caller needs an exception.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Issue:
    severity: Severity
    code: str  # stable kebab-case identifier, e.g. "unknown-property"
    message: str
    location: Location | None = None
    path: str = ""  # e.g. topology_template.node_templates.server.properties.x
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity.value}: {self.message}"
        if self.path:
            text += f" [{self.path}]"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict:
        loc = self.location
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "path": self.path,
            "hint": self.hint,
        }


def did_you_mean(name: object, choices: Iterable[str]) -> str | None:
    """A "did you mean" hint for a misspelled name, or None."""
    if not isinstance(name, str):
        return None
    pool = list(choices)
    # short names differ by one letter in a larger share: vn / vm
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.5 if len(name) <= 4 else 0.6)
    if not close:
        # type names: compare the last dotted segment too (Compte -> tosca.nodes.Compute)
        tails = {c.rsplit(".", 1)[-1]: c for c in pool if "." in c}
        close = [tails[m] for m in difflib.get_close_matches(name, tails, n=1, cutoff=0.75)]
    return f"did you mean '{close[0]}'?" if close else None


def format_path(path: Iterable[object]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class IssueLog:
    """Collects issues of one run, each once."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._seen: set[tuple] = set()

    def add(self, issue: Issue) -> None:
        # the same problem found twice (statically, then while evaluating) on one
        # line is one problem
        loc = issue.location
        key = (
            issue.severity,
            issue.code,
            issue.message,
            loc.file if loc else None,
            loc.line if loc else issue.path,
        )
        if key not in self._seen:
            self._seen.add(key)
            self.issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]
