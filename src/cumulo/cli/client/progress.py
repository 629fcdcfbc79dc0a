"""Waiting for a deployment to reach a final status, with a live display.

Polls with a short back-off (100 ms growing to 1 s), so a fast deployment is
seen complete within a fraction of a second and a slow one costs one request
a second: never a fixed 30 s loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.text import Text

from cumulo.cli.client.api import FINAL_STATUSES, ApiError, ClientError, CumuloApi
from cumulo.cli.client.render import deployment_view, resources_view, status_text


class Backoff:
    """Delays from ``start`` growing by ``factor`` up to ``cap``; ``reset`` on news."""

    def __init__(self, start: float = 0.1, factor: float = 1.5, cap: float = 1.0) -> None:
        self.start, self.factor, self.cap = start, factor, cap
        self.delay = start

    def next(self) -> float:
        delay = self.delay
        self.delay = min(self.delay * self.factor, self.cap)
        return delay

    def reset(self) -> None:
        self.delay = self.start


class WaitTimeout(ClientError):
    """The client stopped waiting; the deployment goes on on the server."""


def _resources(api: CumuloApi, uuid: str) -> list[dict[str, Any]]:
    try:
        return api.resources(uuid)
    except ApiError:
        return []  # the deployment may be gone or have none yet: nothing to show


def _fingerprint(dep: dict[str, Any] | None, resources: list[dict[str, Any]]) -> tuple:
    states = tuple(sorted((r.get("uuid"), r.get("state")) for r in resources))
    dep = dep or {}
    return dep.get("status"), dep.get("task"), dep.get("statusReason"), states


def poll_until(
    fetch: Callable[[], tuple[dict[str, Any] | None, list[dict[str, Any]]]],
    done: Callable[[dict[str, Any] | None], bool],
    on_change: Callable[[dict[str, Any] | None, list[dict[str, Any]], float], None],
    timeout: float | None,
    describe: str,
) -> dict[str, Any] | None:
    """Fetch until ``done``; report each change; back off while nothing changes."""
    backoff = Backoff()
    started = time.monotonic()
    last: tuple | None = None
    while True:
        dep, resources = fetch()
        elapsed = time.monotonic() - started
        mark = _fingerprint(dep, resources)
        if mark != last:
            backoff.reset()
            last = mark
        on_change(dep, resources, elapsed)
        if done(dep):
            return dep
        if timeout is not None and elapsed > timeout:
            status = (dep or {}).get("status", "gone")
            raise WaitTimeout(f"stopped waiting after {elapsed:.0f} s: {describe} is {status}")
        time.sleep(backoff.next())


class _Screen:
    """What the live display shows: the last poll's news, with the time ticking on."""

    def __init__(self, view: Callable[[dict[str, Any] | None, list, float], Group]) -> None:
        self.view = view
        self.started = time.monotonic()
        self.dep: dict[str, Any] | None = None
        self.resources: list[dict[str, Any]] = []
        self.final: float | None = None
        self.polled = False

    def update(self, dep: dict[str, Any] | None, resources: list, elapsed: float) -> None:
        self.dep, self.resources, self.polled = dep, resources, True
        if dep is None or dep.get("status") in FINAL_STATUSES:
            self.final = elapsed  # stop the clock where the poll saw the end

    def __rich__(self) -> Group:
        if not self.polled:
            return Group(Text("asking cumulo...", style="dim"))
        elapsed = self.final if self.final is not None else time.monotonic() - self.started
        return self.view(self.dep, self.resources, elapsed)


def wait_for_final(
    api: CumuloApi,
    uuid: str,
    console: Console,
    timeout: float | None = None,
    gone_is_final: bool = False,
    live: bool = True,
) -> dict[str, Any] | None:
    """Wait until the deployment reaches a final status (or is gone, after a delete).

    On a terminal the status, elapsed time and resources are redrawn in place;
    elsewhere each status change is printed once, to stderr, so scripts that
    read stdout see only the result.
    """

    def fetch() -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        dep = api.find(uuid)
        if dep is None and not gone_is_final:
            raise ClientError(f"deployment {uuid} disappeared while waiting")
        return dep, (_resources(api, uuid) if dep is not None and live else [])

    def done(dep: dict[str, Any] | None) -> bool:
        return dep is None or dep.get("status") in FINAL_STATUSES

    def view(dep: dict[str, Any] | None, resources: list, elapsed: float) -> Group:
        if dep is None:
            return Group(Text(f"{uuid}: deleted ({elapsed:.1f} s)", style="green"))
        return Group(deployment_view(dep, elapsed), Text(""), resources_view(resources))

    describe = f"deployment {uuid}"
    if live and console.is_terminal:
        from rich.live import Live  # only a terminal redraws in place

        screen = _Screen(view)
        with Live(screen, console=console, refresh_per_second=8, transient=False):
            return poll_until(fetch, done, screen.update, timeout, describe)

    from cumulo.cli.client.render import progress_note

    seen: list[tuple[str | None, str]] = []

    def report(dep: dict[str, Any] | None, resources: list, elapsed: float) -> None:
        status = dep.get("status") if dep else "DELETED"
        note = progress_note(dep) if dep else ""
        if seen and seen[-1] == (status, note):
            return
        seen.append((status, note))
        line = Text.assemble(f"{elapsed:6.1f} s  ", status_text(status))
        if note:
            line.append(f"  {note}", style="yellow")
        console.print(line, highlight=False, soft_wrap=True)

    return poll_until(fetch, done, report, timeout, describe)
