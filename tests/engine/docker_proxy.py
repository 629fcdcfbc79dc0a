"""A test double of a Docker engine restart: a unix-socket proxy in front of the real engine.

cumulo's site points at the proxy's socket; ``outage()`` closes the listener
and every open connection (event streams included), as an engine restart
does, then listens again. The real engine and its containers are untouched,
so the tests never disturb other users of the shared Docker engine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

REAL = "/var/run/docker.sock"


class DockerProxy:
    def __init__(self, folder: Path) -> None:
        self.path = str(folder / "docker.sock")
        self.endpoint = f"unix://{self.path}"
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.listen()

    def listen(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(self.path)
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: the "engine" is down
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(REAL)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        """The engine goes away: no new connection, every open one cut."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def outage(self, seconds: float) -> None:
        self.stop()
        time.sleep(seconds)
        self.listen()
