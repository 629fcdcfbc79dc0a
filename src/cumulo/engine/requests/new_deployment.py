"""A deployment as a request asks for it: template, parameters, placement, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NewDeployment:
    template: str
    parameters: dict[str, Any] = field(default_factory=dict)
    callback: str | None = None
    timeout_mins: int | None = None
    provider_timeout_mins: int | None = None
    max_providers_retry: int | None = None
    keep_last_attempt: bool = False
    user_group: str | None = None
    description: str | None = None
    site: str | None = None  # manual placement on this site
