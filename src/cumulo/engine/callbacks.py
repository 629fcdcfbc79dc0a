"""Callbacks: the deployment's JSON POSTed to its ``callback`` URL at every final status.

``notice`` adds a row to the ``callbacks`` outbox in the same transaction as
the status change (so a notice exists iff the change does, and survives a
crash). A ``CallbackSender`` beside the workers delivers due notices from a
small pool of threads: each POST is bounded by a timeout, a failure is retried
with exponential back-off up to ``callback_tries`` times and then logged as
the deployment's event. A URL that never answers costs one pool thread for
the timeout; it never blocks a job, a request, or the other notices.

A callback is a request made on the user's behalf: it goes through the egress
policy (``cumulo.egress``), checked at POST on the URL as written
(``check_callback``) and again on the addresses it resolves to when sent;
redirects are not followed. Every refusal and every failed connection is
recorded with the same message, so callbacks cannot probe which ports are open.
The one exception is cumulo's own "e-mail me" endpoint under the public URL
(``is_own``), which the dashboard sets and the admin configured.
"""

from __future__ import annotations

import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cumulo.config import Settings
from cumulo.egress import CONNECTION_FAILURES, EgressPolicy, EgressRefused, guarded_client
from cumulo.engine.indigo_json import deployment_json
from cumulo.errors import BadRequest
from cumulo.store.db import Database, utcnow
from cumulo.store.direct import on_commit
from cumulo.store.models import Callback, Deployment, Event

log = logging.getLogger(__name__)

PENDING, SENDING, DONE, FAILED = "PENDING", "SENDING", "DONE", "FAILED"
_MAX_BACKOFF_SECONDS = 60.0
# The dashboard's "e-mail me when complete" endpoint (``cumulo.web.notify``) and its token.
OWN_NOTIFY_PATH = "/ui/notify/"
_TOKEN = re.compile(r"^[A-Za-z0-9_=-]+$")


def is_own(settings: Settings, url: str) -> bool:
    """Is ``url`` cumulo's own notify endpoint under its public URL (not subject to egress)?"""
    prefix = settings.public_base_url + OWN_NOTIFY_PATH
    return url.startswith(prefix) and bool(_TOKEN.match(url[len(prefix) :]))


def check_callback(policy: EgressPolicy, settings: Settings, url: str | None) -> None:
    """400 for a callback whose scheme or literal host the egress policy refuses."""
    if url is None or is_own(settings, url):
        return
    try:
        policy.check_url(url)
    except EgressRefused as exc:
        raise BadRequest(f"callback: {exc}") from None


# The wake-up events of this process's senders: a transaction that queued a notice
# wakes them when it commits, so they need not poll often (others' notices and
# retries coming due are found by a look every ``SENDER_POLL`` seconds at least).
_SENDERS: set[threading.Event] = set()
SENDER_POLL = 0.5


def notice(session: Session, dep: Deployment) -> None:
    """Queue the deployment's JSON, as it is now, for its callback URL (if it has one)."""
    if not dep.callback:
        return
    payload = deployment_json(dep, "")  # links relative: the sender prefixes the public URL
    session.add(Callback(deployment_id=dep.id, url=dep.callback, payload=payload))
    on_commit(session, _wake_senders)


def _wake_senders() -> None:
    for wakeup in list(_SENDERS):
        wakeup.set()


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
        timeout = settings.callback_timeout_seconds
        self._http = guarded_client(EgressPolicy.from_settings(settings), timeout, False)
        self._own = httpx.Client(timeout=timeout, trust_env=False)  # see ``is_own``

    def run(self) -> None:
        poll = max(self.settings.job_poll_seconds, SENDER_POLL)
        _SENDERS.add(self.wakeup)
        try:
            self._loop(poll)
        finally:
            _SENDERS.discard(self.wakeup)
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self, poll: float) -> None:
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

    def _claim_due(self) -> list[int]:
        """Take the due notices (a lease: a sender that dies leaves them due again)."""
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.callback_timeout_seconds * 3)
        due = or_(Callback.status == PENDING, Callback.status == SENDING)
        claimed: list[int] = []
        query = select(Callback.id).where(due, Callback.next_at <= now)
        with self.db.reader() as s:  # most looks find nothing: no write transaction for them
            if s.scalar(query.limit(1)) is None:
                return claimed
        with self.db.session() as s:
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
        self._settle(callback_id, payload, tries, self._post(url, payload))

    def _post(self, url: str, payload: dict[str, Any]) -> str | None:
        """POST the notice; ``None`` when it was taken, else why not (the URL is the user's)."""
        http = self._own if is_own(self.settings, url) else self._http
        try:
            response = http.post(url, json=_absolute(payload, self.settings.public_base_url))
        except CONNECTION_FAILURES:
            return EgressRefused().message
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__} {exc}".strip()
        if response.status_code >= 300:
            return f"the server answered {response.status_code}"
        return None

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
        self._own.close()
