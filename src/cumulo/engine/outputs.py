"""Evaluating a plan's outputs against the resources' runtime attributes, and
withholding the ones that would show a sensitive input."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import Any

# What an output derived from a sensitive input answers, in every answer (API,
# dashboard, CLI, callbacks): a string, so INDIGO clients still read a map of values.
WITHHELD = "(withheld: derived from a sensitive input)"
REDACTED = "********"


def json_safe(value: Any) -> Any:
    """What can be stored in a JSON column and shown to a client."""
    return json.loads(json.dumps(value, default=str))


def evaluate(plan: Any, attributes: Mapping[tuple[str, int], Mapping[str, Any]]) -> dict[str, Any]:
    """The outputs, each evaluated; values not known evaluate to None."""

    def lookup(node: str, index: int) -> Mapping[str, Any]:
        return attributes.get((node, index), {})

    return json_safe(plan.evaluate_outputs(lookup))


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _leaves(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _leaves(v)
    elif value is not None:
        yield value if isinstance(value, str) else json.dumps(value)


def shows_secret(value: Any, secrets: Collection[str]) -> bool:
    """Whether any part of ``value`` holds one of ``secrets``."""
    return any(s in leaf for leaf in _leaves(value) for s in secrets if s)


def withhold(
    outputs: Mapping[str, Any], derived: Collection[str], secrets: Collection[str]
) -> dict[str, Any]:
    """``outputs`` with those in ``derived`` (computed from a sensitive input) or
    holding a secret's value replaced by ``WITHHELD``."""
    return {
        name: WITHHELD if name in derived or shows_secret(value, secrets) else value
        for name, value in outputs.items()
    }


def redact(text: str | None, secrets: Collection[str]) -> str | None:
    """``text`` (a status reason, a log line) with every secret's value replaced."""
    if not text:
        return text
    for s in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(s, REDACTED)
    return text
