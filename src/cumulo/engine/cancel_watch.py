"""Interrupting a blocking driver wait when the deployment is cancelled.

A driver's ``wait_ready`` blocks until the resource is ready or the deadline;
when a DELETE arrives meanwhile, the watch removes the resource being waited
on, which ends the wait at once (the driver sees it die), so a delete during a
create never waits for a timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

# How often the deployment's status is read while a wait is in progress.
POLL_SECONDS = 0.5


class CancelWatch:
    """While the block runs, poll ``still_wanted``; when it turns False, call ``interrupt``."""

    def __init__(self, still_wanted: Callable[[], bool], interrupt: Callable[[], None]) -> None:
        self._still_wanted, self._interrupt = still_wanted, interrupt
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cancel-watch", daemon=True)

    def _run(self) -> None:
        while not self._done.wait(POLL_SECONDS):
            try:
                if self._still_wanted():
                    continue
                self._interrupt()
            except Exception:  # a database or backend hiccup: the deadline still bounds the wait
                log.warning("cancel watch", exc_info=True)
                continue
            return

    def __enter__(self) -> CancelWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
