"""Waiting out a site that stopped answering (its Docker engine restarted) during an attempt.

When a node's step fails and the site does not answer a ping either, the
attempt waits for the site with back-off, up to the attempt's deadline, and
then repeats the node's step (``create`` finds what it made; ``check_ready``
looks again). A site that stays away fails the node at the deadline with
the original cause; a DELETE meanwhile cancels the wait.
"""

from __future__ import annotations

import time

from cumulo.drivers.base import Driver
from cumulo.engine.deadlines import Deadline
from cumulo.engine.events import record
from cumulo.engine.lifecycle.attempt_context import AttemptContext, check_running
from cumulo.errors import CumuloError
from cumulo.store.models import Site

_FIRST_DELAY, _MAX_DELAY = 0.2, 5.0


def _answers(driver: Driver) -> bool:
    try:
        driver.ping()
        return True
    except CumuloError:
        return False


def site_back(ctx: AttemptContext, driver: Driver, site: Site, deadline: Deadline) -> bool:
    """False if the site answers (the failure was the node's) or stays away until the deadline;
    True once it answers again after an outage. Raises ``Cancelled`` on a delete."""
    if _answers(driver):
        return False
    with ctx.engine.db.session() as s:
        record(s, ctx.dep_id, "error", f"site {site.name} does not answer: waiting for it")
    delay = _FIRST_DELAY
    while deadline.remaining() > 0:
        with ctx.engine.db.session() as s:
            check_running(s, ctx)
        with ctx.engine.steps.released():
            time.sleep(min(delay, max(deadline.remaining(), 0)))
        delay = min(delay * 2, _MAX_DELAY)
        if _answers(driver):
            with ctx.engine.db.session() as s:
                record(s, ctx.dep_id, "info", f"site {site.name} answers again: resuming")
            return True
    return False
