"""Talking to the Docker engine: the client, and its exceptions as cumulo's.

The contract says a driver raises only ``cumulo.errors.SiteError`` and its
subclasses, with a message naming the node and the cause.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import docker
import docker.errors
import requests.exceptions

from cumulo.errors import CumuloError, SiteError

TAIL_LINES = 20
PORT_TAKEN_MARKERS = ("port is already allocated", "address already in use")


class EngineConnection:
    """A lazily made, shared Docker client for one site (thread-safe to use)."""

    def __init__(self, site: str, endpoint: str, timeout: float = 60) -> None:
        self.site = site
        self.endpoint = endpoint
        self._timeout = timeout
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                with self.calls("connecting"):
                    self._client = docker.DockerClient(
                        base_url=self.endpoint, timeout=self._timeout, max_pool_size=32
                    )
            return self._client

    @contextmanager
    def calls(self, what: str) -> Iterator[None]:
        """Translate Docker exceptions raised inside into ``SiteError``; ``what``
        says who was acting (e.g. "node web")."""
        try:
            yield
        except CumuloError:
            raise
        except docker.errors.APIError as exc:
            raise SiteError(f"{what}: Docker engine of site {self.site}: {_explain(exc)}") from None
        except (
            docker.errors.DockerException,
            requests.exceptions.RequestException,
            OSError,
        ) as exc:
            raise SiteError(
                f"{what}: the Docker engine of site {self.site} at {self.endpoint} "
                f"is unreachable: {exc}"
            ) from None


def _explain(exc: docker.errors.APIError) -> str:
    return str(exc.explanation or exc)


def is_port_taken(exc: docker.errors.APIError) -> bool:
    text = _explain(exc).lower()
    return any(marker in text for marker in PORT_TAKEN_MARKERS)


def explain(exc: docker.errors.APIError) -> str:
    return _explain(exc)


def last_log_lines(container: docker.models.containers.Container, lines: int = TAIL_LINES) -> str:
    """The container's last output lines, for error messages; never raises."""
    try:
        text = container.logs(tail=lines).decode("utf-8", "replace").rstrip()
    except Exception:  # the container may already be gone; the message must still be built
        return "(no logs available)"
    return text or "(no output)"
