"""Waiting until a container is usable, driven by the engine's streams.

A VM-like container is ready when sshd logs that it listens (read from the
followed log stream, which also ends when the container exits) and its SSH
banner arrives through the published port. An application container is ready
when it runs and each published TCP port reaches a listening process; the
container's ``die`` event (from the events stream) ends the wait at once.
No fixed sleep: the only loop is a short back-off connect on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker

from cumulo.drivers.docker.engine_calls import last_log_lines
from cumulo.drivers.docker.ports import LOCALHOST
from cumulo.errors import DriverTimeout, SiteError

SSHD_LISTENING = "Server listening on"
_END = object()
_FIRST_BACKOFF, _MAX_BACKOFF = 0.002, 0.05
# Through Docker's userland proxy a connect always succeeds; when nothing
# listens in the container the proxy closes the connection at once.
_PROXY_CLOSE_GRACE = 0.1


class _Pump:
    """Feeds a blocking stream (logs, events) into a queue from a daemon thread."""

    def __init__(self, stream: Any, tag: str, sink: queue.Queue) -> None:
        self._stream = stream
        self._thread = threading.Thread(target=self._run, args=(tag, sink), daemon=True)
        self._thread.start()

    def _run(self, tag: str, sink: queue.Queue) -> None:
        try:
            for item in self._stream:
                sink.put((tag, item))
        except Exception:  # closed by us, or the engine went away: both end the stream
            pass
        finally:
            sink.put((tag, _END))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed
            self._stream.close()


class ContainerWatch:
    """The followed logs and the death events of one container, in one queue."""

    def __init__(
        self, client: docker.DockerClient, container_id: str, logs_since: float | None
    ) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.lines: deque[str] = deque(maxlen=20)
        self.died = False
        self._partial = ""
        self._pumps = [
            _Pump(
                client.api.events(
                    filters={"container": container_id, "event": ["die", "oom", "destroy"]},
                    decode=True,
                ),
                "event",
                self.queue,
            )
        ]
        if logs_since is not None:  # this run's logs only, not those of an earlier start
            stream = client.api.logs(container_id, stream=True, follow=True, since=logs_since)
            self._pumps.append(_Pump(stream, "log", self.queue))

    def close(self) -> None:
        for pump in self._pumps:
            pump.close()

    def next(self, timeout: float) -> tuple[str, Any] | None:
        """The next (tag, item); ``("log", line)`` for whole log lines; None on timeout."""
        end = time.monotonic() + max(timeout, 0)
        while True:
            try:
                tag, item = self.queue.get(timeout=max(end - time.monotonic(), 0))
            except queue.Empty:
                return None
            if item is _END:
                if tag == "log":  # a followed log stream ends only when the container stops
                    self.died = True
                    return ("died", None)
                continue
            if tag == "event":
                self.died = True
                return ("died", item)
            lines = self._split(item)
            if lines:
                return ("log", "\n".join(lines))

    def _split(self, chunk: bytes) -> list[str]:
        text = self._partial + chunk.decode("utf-8", "replace")
        *whole, self._partial = text.split("\n")
        self.lines.extend(whole)
        return whole


def _failure(node: str, container: Any, why: str) -> SiteError:
    try:
        container.reload()
        state = container.attrs.get("State") or {}
        code = state.get("ExitCode")
        if state.get("OOMKilled"):
            why += " (killed: out of memory)"
        elif code is not None and not state.get("Running"):
            why += f" (exit code {code})"
    except Exception:  # gone already: the logs below may still say why
        pass
    return SiteError(f"node {node}: {why}; last log lines:\n{last_log_lines(container)}")


class StillWaiting(DriverTimeout):
    """Not ready by the deadline given; ``waiting_for`` says for what (the engine shows it)."""

    def __init__(self, message: str, waiting_for: str) -> None:
        super().__init__(message)
        self.waiting_for = waiting_for


def _timeout(node: str, container: Any, waiting_for: str) -> StillWaiting:
    return StillWaiting(
        f"node {node}: not ready before the deadline (waiting for {waiting_for}); "
        f"last log lines:\n{last_log_lines(container)}",
        waiting_for,
    )


def wait_vm(
    client: docker.DockerClient, container: Any, node: str, ssh_port: int, deadline: float
) -> None:
    watch = ContainerWatch(client, container.id, logs_since=_started_at(container))
    try:
        while True:
            got = watch.next(deadline - time.monotonic())
            if got is None:
                raise _timeout(node, container, "sshd to listen")
            if got[0] == "died":
                raise _failure(node, container, "the VM container stopped before sshd was ready")
            if SSHD_LISTENING in got[1]:
                break
        backoff = _FIRST_BACKOFF
        while not _ssh_banner(ssh_port):
            if watch.next(backoff) is not None and watch.died:
                raise _failure(node, container, "the VM container stopped before SSH answered")
            if time.monotonic() > deadline:
                raise _timeout(node, container, f"SSH on 127.0.0.1:{ssh_port}")
            backoff = min(backoff * 2, _MAX_BACKOFF)
    finally:
        watch.close()


def _started_at(container: Any) -> float:
    """When the container last started, as a Unix time (Docker writes nanoseconds)."""
    text = (container.attrs.get("State") or {}).get("StartedAt") or ""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,6})?", text)
    if not match:
        return 1.0  # unknown: all the logs (0 would mean "no filter" to the SDK: refused)
    stamp = datetime.fromisoformat(match.group(1) + (match.group(2) or ""))
    return max(stamp.replace(tzinfo=UTC).timestamp(), 1.0)


def _ssh_banner(port: int) -> bool:
    try:
        with socket.create_connection((LOCALHOST, port), timeout=1) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def wait_application(
    client: docker.DockerClient,
    container: Any,
    node: str,
    tcp_ports: dict[int, int],
    deadline: float,
) -> None:
    """``tcp_ports``: container port -> published host port, each to be reached."""
    watch = ContainerWatch(client, container.id, logs_since=None)
    try:
        container.reload()  # after subscribing, so a death in between is not missed
        state = container.attrs.get("State") or {}
        if not state.get("Running"):
            raise _failure(node, container, "the container is not running")
        pid = int(state.get("Pid") or 0)
        pending = dict(tcp_ports)
        backoff = _FIRST_BACKOFF
        while pending:
            for cport, hport in list(pending.items()):
                if _port_ready(container.id, pid, cport, hport):
                    del pending[cport]
            if not pending:
                break
            if watch.next(backoff) is not None and watch.died:
                raise _failure(node, container, "the container stopped before its ports answered")
            if time.monotonic() > deadline:
                ports = ", ".join(f"{c} (127.0.0.1:{h})" for c, h in pending.items())
                raise _timeout(node, container, f"port {ports} to accept connections")
            backoff = min(backoff * 2, _MAX_BACKOFF)
    finally:
        watch.close()


def _port_ready(container_id: str, pid: int, container_port: int, host_port: int) -> bool:
    listening = _listening_in_container(container_id, pid, container_port)
    if listening is False:
        return False
    try:
        sock = socket.create_connection((LOCALHOST, host_port), timeout=1)
    except OSError:
        return False
    with sock:
        if listening:
            return True
        # Cannot see inside (remote engine): a proxy that closes at once means no listener.
        sock.settimeout(_PROXY_CLOSE_GRACE)
        try:
            return sock.recv(1) != b""
        except TimeoutError:
            return True
        except OSError:
            return False


def _listening_in_container(container_id: str, pid: int, port: int) -> bool | None:
    """Whether a socket listens on ``port`` in the container's network namespace,
    read from /proc when the engine runs on this host; None when we cannot tell."""
    if pid <= 0:
        return None
    proc = Path(f"/proc/{pid}")
    try:
        if container_id not in (proc / "cgroup").read_text():
            return None  # another PID namespace: that pid is not the container's
        tables: Iterable[str] = [
            (proc / "net" / name).read_text()
            for name in ("tcp", "tcp6")
            if (proc / "net" / name).exists()
        ]
    except OSError:
        return None
    wanted = f":{port:04X}"
    for table in tables:
        for line in table.splitlines()[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A" and fields[1].endswith(wanted):
                return True
    return False
