"""Callbacks: the deployment's JSON POSTed to its ``callback`` URL at every final status.

``notice`` adds a row to the ``callbacks`` outbox in the same transaction as
the status change (so a notice exists iff the change does, and survives a
crash). A ``CallbackSender`` beside the workers delivers due notices from a
small pool of threads: each POST is bounded by a timeout, a failure is retried
with exponential back-off up to ``callback_tries`` times and then logged as
the deployment's event. A URL that never answers costs one pool thread for
the timeout; it never blocks a job, a request, or the other notices.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cumulo.config import Settings
from cumulo.engine.indigo_json import deployment_json
from cumulo.store.db import Database, utcnow
from cumulo.store.models import Callback, Deployment, Event

log = logging.getLogger(__name__)

PENDING, SENDING, DONE, FAILED = "PENDING", "SENDING", "DONE", "FAILED"
_MAX_BACKOFF_SECONDS = 60.0


def notice(session: Session, dep: Deployment) -> None:
    """Queue the deployment's JSON, as it is now, for its callback URL (if it has one)."""
    if not dep.callback:
        return
    payload = deployment_json(dep, "")  # links relative: the sender prefixes the public URL
    session.add(Callback(deployment_id=dep.id, url=dep.callback, payload=payload))


def _absolute(payload: dict[str, Any], base: str) -> dict[str, Any]:
    links = [{**link, "href": base + link["href"]} for link in payload.get("links", [])]
    return {**payload, "links": links}


class CallbackSender(threading.Thread):
    """Delivers due callback notices until stopped."""

    def __init__(self, db: Database, settings: Settings, stop: threading.Event, owner: str) -> None:
        super().__init__(name="cumulo-callbacks", daemon=True)
        self.db, self.settings, self.stop_event, self.owner = db, settings, stop, owner
        self.wakeup = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="callback")
        self._http = httpx.Client(timeout=settings.callback_timeout_seconds)

    def run(self) -> None:
        poll = self.settings.job_poll_seconds
        while not self.stop_event.is_set():
            wait = poll
            try:
                for callback_id in self._claim_due():
                    self._pool.submit(self._deliver, callback_id)
            except Exception as exc:  # the database went away: try again a little later
                log.warning("could not read the callback outbox: %s", type(exc).__name__)
                wait = max(poll, 2.0)
            self.wakeup.wait(wait)
            self.wakeup.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _claim_due(self) -> list[int]:
        """Take the due notices (a lease: a sender that dies leaves them due again)."""
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.callback_timeout_seconds * 3)
        due = or_(Callback.status == PENDING, Callback.status == SENDING)
        claimed = []
        with self.db.session() as s:
            query = select(Callback.id).where(due, Callback.next_at <= now)
            ids = s.scalars(query.order_by(Callback.id).limit(16)).all()
            for cid in ids:
                result = s.execute(
                    update(Callback)
                    .where(Callback.id == cid, due, Callback.next_at <= now)
                    .values(status=SENDING, lease_owner=self.owner, next_at=lease)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(cid)
        return claimed

    def _deliver(self, callback_id: int) -> None:
        with self.db.session() as s:
            cb = s.get(Callback, callback_id)
            if cb is None or cb.lease_owner != self.owner:
                return
            url, payload, tries = cb.url, cb.payload, cb.tries + 1
        error = None
        try:
            base = self.settings.public_base_url
            response = self._http.post(url, json=_absolute(payload, base))
            if response.status_code >= 300:
                error = f"{url} answered {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{url}: {type(exc).__name__} {exc}".strip()
        self._settle(callback_id, payload, tries, error)

    def _settle(
        self, callback_id: int, payload: dict[str, Any], tries: int, error: str | None
    ) -> None:
        last = tries >= self.settings.callback_tries
        with self.db.session() as s:
            cb = s.get(Callback, callback_id)
            if cb is None:
                return
            cb.tries, cb.error, cb.lease_owner = tries, error, None
            if error is None:
                cb.status = DONE
                return
            if not last:
                delay = min(2.0 ** (tries - 1), _MAX_BACKOFF_SECONDS)
                log.info("callback %s failed (%s); retry in %.0f s", callback_id, error, delay)
                cb.status, cb.next_at = PENDING, utcnow() + timedelta(seconds=delay)
                return
            cb.status = FAILED
            status = payload.get("status")
            message = f"callback for {status} not delivered after {tries} tries: {error}"
            log.warning("deployment %s: %s", cb.deployment_id, message)
            if s.get(Deployment, cb.deployment_id) is not None:
                s.add(Event(deployment_id=cb.deployment_id, kind="error", message=message))

    def close(self) -> None:
        self._http.close()
