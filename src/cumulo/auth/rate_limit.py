"""Login throttling: after a few failures for one name (or one client), wait before trying again.

In process memory: one ``cumulo serve`` process answers the logins of the
embedded default. The delay doubles with each further failure, up to a cap.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    def __init__(self, free_failures: int = 5, base_delay: float = 1.0, max_delay: float = 300.0):
        self.free_failures = free_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._state: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str, now: float | None = None) -> float:
        """Seconds to wait before any of ``keys`` may try again (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [f.blocked_until - now for k in keys if (f := self._state.get(k))]
        return max([0.0, *waits])

    def failed(self, *keys: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in keys:
                f = self._state.setdefault(key, _Failures())
                if now - f.last > self.max_delay * 2:
                    f.count = 0  # an old streak is forgiven
                f.count += 1
                f.last = now
                over = f.count - self.free_failures
                if over >= 0:
                    f.blocked_until = now + min(self.max_delay, self.base_delay * 2**over)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._state.pop(key, None)
