"""Deadlines as wall-clock instants, named for the limit that sets them.

Instants come from stored timestamps, so every worker (and a takeover) agrees
on them; drivers get the same instant on their ``time.monotonic()`` clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from cumulo.errors import DriverTimeout
from cumulo.store.db import utcnow


@dataclass(frozen=True)
class Deadline:
    at: datetime  # UTC
    name: str  # e.g. "the timeout on site local (providerTimeoutMins)"

    @classmethod
    def earliest(cls, *limits: tuple[datetime, str]) -> Deadline:
        at, name = min(limits, key=lambda limit: limit[0])
        return cls(at, name)

    def remaining(self) -> float:
        return (self.at - utcnow()).total_seconds()

    def monotonic(self) -> float:
        """The same instant on ``time.monotonic()``'s clock (what drivers take)."""
        return time.monotonic() + self.remaining()

    def explain(self, detail: str) -> str:
        return f"{self.name} passed: {detail}"

    def check(self, what: str) -> None:
        """Raise ``DriverTimeout`` if the deadline has passed."""
        if self.remaining() <= 0:
            raise DriverTimeout(self.explain(what))
