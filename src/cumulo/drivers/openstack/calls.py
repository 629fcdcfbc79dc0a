"""Calls to the cloud: one connection per driver, errors as ``SiteError``, retries.

A call that cannot reach the API (connection refused, reset, timed out) is
retried with back-off (``RETRY_DELAYS``); every other failure is final and its
message is the cloud's own ("Quota exceeded for instances: ..."). Bad
credentials say so, so a site that fails its probe is marked down with the
reason. No openstacksdk or keystoneauth exception leaves this module.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk
from openstack.connection import Connection

from cumulo.drivers.openstack.credentials import connection_config
from cumulo.errors import SiteError

T = TypeVar("T")
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds between tries when the API is unreachable
CONNECT_TIMEOUT = 10.0  # seconds: a request never waits longer for the API to answer


class Unreachable(SiteError):
    """The cloud's API did not answer (after the retries)."""


class Gone(SiteError):
    """The object asked for does not exist (any more)."""


class CloudCalls:
    """The driver's connection to one site's cloud, made at first use."""

    def __init__(
        self,
        site: str,
        endpoint: str,
        credentials: str | None,
        options: Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
    ) -> None:
        """``config``: the connection's settings as they are (a deployment owner's, see
        ``federated_auth``) instead of those of the site's ``credentials`` reference."""
        self.site, self.endpoint, self.credentials = site, endpoint, credentials
        self.options, self.config = options, config
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.retry_delays: tuple[float, ...] = RETRY_DELAYS

    @property
    def conn(self) -> Connection:
        with self._lock:
            if self._conn is None:
                config = self.config or connection_config(
                    self.site, self.endpoint, self.credentials, self.options
                )
                self._conn = Connection(**config, api_timeout=CONNECT_TIMEOUT)
            return self._conn

    def call(self, what: str, fn: Callable[[Connection], T], *, retry: bool = True) -> T:
        """``fn(conn)``, retried while the API is unreachable (unless ``retry`` is False);
        ``what`` names the step."""
        delays = iter(self.retry_delays if retry else ())
        while True:
            try:
                return fn(self.conn)
            except (ksa.ConnectFailure, ksa.ConnectTimeout, ksa.UnknownConnectionError) as exc:
                delay = next(delays, None)
                if delay is None:
                    raise Unreachable(
                        f"{what}: the API of site {self.site} is unreachable: {cloud_message(exc)}"
                    ) from None
                time.sleep(delay)
            except SiteError:
                raise
            except (sdk.SDKException, ksa.ClientException) as exc:
                raise translate(self.site, what, exc) from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def translate(site: str, what: str, exc: Exception) -> SiteError:
    """A library's exception as a ``SiteError`` with the cloud's message."""
    if isinstance(exc, ksa.Unauthorized | ksa.MissingAuthPlugin | ksa.AuthorizationFailure):
        return SiteError(f"{what}: site {site} refused the credentials: {cloud_message(exc)}")
    if isinstance(exc, sdk.NotFoundException | sdk.ResourceNotFound | ksa.NotFound):
        return Gone(f"{what}: not found on site {site}: {cloud_message(exc)}")
    return SiteError(f"{what}: site {site}: {cloud_message(exc)}")


def cloud_message(exc: Exception) -> str:
    """The cloud's message without the library's decoration (URL, request id)."""
    details = getattr(exc, "details", None)
    if isinstance(details, str) and details.strip():
        return details.strip()
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message).strip()
