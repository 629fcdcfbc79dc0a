"""Evaluating a plan's outputs against the resources' runtime attributes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def json_safe(value: Any) -> Any:
    """What can be stored in a JSON column and shown to a client."""
    return json.loads(json.dumps(value, default=str))


def evaluate(plan: Any, attributes: Mapping[tuple[str, int], Mapping[str, Any]]) -> dict[str, Any]:
    """The outputs, each evaluated; values not known evaluate to None."""

    def lookup(node: str, index: int) -> Mapping[str, Any]:
        return attributes.get((node, index), {})

    return json_safe(plan.evaluate_outputs(lookup))
