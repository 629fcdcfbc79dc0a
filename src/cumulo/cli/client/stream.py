"""Following a deployment's events over cumulo's server-sent events stream.

``GET /deployments/{id}/stream`` is ours (not INDIGO's); a server without it
answers 404 for a deployment that exists, and the caller then polls ``/log``.
A dropped connection is resumed after the last event seen (``Last-Event-ID``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from cumulo.cli.client.api import ApiUnreachable, CumuloApi


def _messages(lines: Iterator[str]) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """(event, id, data) for each SSE message; comments (keep-alives) skipped."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                yield fields.get("event", "message"), fields.get("id"), json.loads(fields["data"])
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def follow_events(api: CumuloApi, uuid: str, retries: int = 5) -> Iterator[dict[str, Any]]:
    """Each event of the deployment, live, until the stream's ``end``; ApiError 404 if none."""
    import httpx  # here, not at the top: `cumulo --help` need not load it

    last: str | None = None
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream"}
        if last:
            headers["Last-Event-ID"] = last
        try:
            with api.open_stream(f"/deployments/{uuid}/stream", headers) as response:
                for event, event_id, data in _messages(response.iter_lines()):
                    failures = 0
                    if event == "end":
                        return
                    last = event_id or last
                    yield data
        except httpx.HTTPError as exc:  # dropped: resume after the last event seen
            failures += 1
            if failures > retries:
                raise ApiUnreachable(f"the event stream of {uuid} broke off: {exc}") from exc
            time.sleep(min(0.2 * failures, 2.0))
