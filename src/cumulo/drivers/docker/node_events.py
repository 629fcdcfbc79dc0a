"""Docker's events for the engine's reconciler (``drivers.base.WatchesNodes``).

Which of a site's containers died, started or went, as it happens; and when
the engine stops answering or answers again (a restart, a reboot), so that the
reconciler looks at every node at once instead of at its next periodic look.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cumulo.drivers.docker import labels as lbl
from cumulo.drivers.docker.engine_calls import EngineConnection

log = logging.getLogger(__name__)
EVENTS = ["die", "oom", "start", "destroy"]
# Each events call ends after this long, so that a stop is seen; the next one
# starts where it ended, so nothing is missed in between.
WINDOW_SECONDS = 5
RETRY_SECONDS = 1.0


def watch_nodes(
    connection: EngineConnection,
    site: str,
    stop: threading.Event,
    changed: Callable[[str | None], None],
) -> None:
    filters = {"type": "container", "event": EVENTS, "label": [f"{lbl.SITE}={site}"]}
    answering, since = True, int(time.time())
    while not stop.is_set():
        until = int(time.time()) + WINDOW_SECONDS
        try:
            with connection.calls(f"site {site}"):
                stream = connection.client.api.events(
                    since=since, until=until, filters=filters, decode=True
                )
                if not answering:  # back: look at everything
                    answering = True
                    changed(None)
                for event in stream:
                    changed(str(event.get("id") or "") or None)
            since = until
        except Exception as exc:  # any failure: the engine is away (or the call broke)
            if answering:
                log.info("site %s: its Docker engine stopped answering: %s", site, exc)
                answering = False
                changed(None)
            stop.wait(RETRY_SECONDS)
