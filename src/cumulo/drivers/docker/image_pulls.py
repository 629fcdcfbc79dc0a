"""Image pulls in the background: one thread per engine and image in this process.

A pull can take minutes; the node's create must not hold a worker for it. The
first look starts the pull in a thread of its own and answers how far it got;
later looks (any worker of this process) find the same pull and answer again,
until it ends: then the image is there, or the pull's error is told once and
forgotten (a later deployment tries again). A process that dies loses its
threads: the next look finds no pull and starts one (the engine itself does not
pull twice what it already has).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
import requests.exceptions

from cumulo.drivers.docker.engine_calls import explain

# Read timeout of the pulling client: a layer may extract for a while without news.
PULL_READ_TIMEOUT = 600.0
MB = 1_000_000


@dataclass
class Pull:
    """One pull under way (or just ended): the layers' progress, and how it ended."""

    reference: str
    started: float = field(default_factory=time.monotonic)
    # layer id -> (bytes downloaded, bytes in all); a finished layer counts in full
    layers: dict[str, tuple[int, int]] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None

    def progress(self) -> str:
        """How far it got, e.g. "312 of 741 MB" (downloaded, compressed), or "starting"."""
        layers = list(self.layers.values())  # one copy: the pulling thread adds layers
        got = sum(g for g, _ in layers)
        total = sum(t for _, t in layers)
        if not total:
            return "starting"
        return f"{got / MB:.0f} of {total / MB:.0f} MB"

    def heard(self, event: Mapping[str, Any]) -> None:
        """One line of the engine's pull stream."""
        layer, status = str(event.get("id") or ""), str(event.get("status") or "")
        detail = event.get("progressDetail") or {}
        if not layer or ":" in layer:  # the tag's own lines ("12: Pulling from ...")
            return
        got, total = self.layers.get(layer, (0, 0))
        if status == "Downloading" and detail.get("total"):
            self.layers[layer] = (int(detail.get("current") or 0), int(detail["total"]))
        elif status in ("Download complete", "Pull complete", "Already exists"):
            self.layers[layer] = (max(got, total), total)


class Pulls:
    """The pulls of this process, keyed by (engine endpoint, image reference)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pulls: dict[tuple[str, str], Pull] = {}

    def look(self, endpoint: str, reference: str, present: Callable[[], bool]) -> Pull | None:
        """The pull of ``reference`` on the engine at ``endpoint``: started if none runs
        and the image is still missing (``present``); None when it is there. A pull that
        ended is handed back once, then forgotten."""
        key = (endpoint, reference)
        with self._lock:
            pull = self._pulls.get(key)
            if pull is not None and pull.done.is_set():
                del self._pulls[key]
                return None if pull.error is None else pull
            if pull is not None:
                return pull
            if present():  # pulled by an earlier pull (or another process) meanwhile
                return None
            pull = self._pulls[key] = Pull(reference)
        threading.Thread(
            target=_run, args=(endpoint, pull), name=f"pull {reference}", daemon=True
        ).start()
        return pull


def _run(endpoint: str, pull: Pull) -> None:
    repository, tag = split_reference(pull.reference)
    try:
        client = docker.APIClient(base_url=endpoint, timeout=PULL_READ_TIMEOUT)
        try:
            _follow(pull, client.pull(repository, tag=tag, stream=True, decode=True))
        finally:
            client.close()
    except docker.errors.APIError as exc:
        pull.error = explain(exc)
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        pull.error = f"the Docker engine at {endpoint} did not answer: {exc}"
    except Exception as exc:  # the thread must end the pull, whatever happened
        pull.error = f"{type(exc).__name__}: {exc}"
    finally:
        pull.done.set()


def _follow(pull: Pull, stream: Iterable[Mapping[str, Any]]) -> None:
    for event in stream:
        if event.get("error"):
            pull.error = str(event.get("error"))
            return
        pull.heard(event)


def split_reference(reference: str) -> tuple[str, str | None]:
    """``repo:tag`` or ``repo@digest`` as the engine's pull wants it: (repository, tag)."""
    if "@" in reference:
        repository, digest = reference.split("@", 1)
        return repository, digest
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = reference.rsplit(":", 1)
        return repository, tag
    return reference, "latest"


# This process's pulls (a daemon thread each while under way).
PULLS = Pulls()
