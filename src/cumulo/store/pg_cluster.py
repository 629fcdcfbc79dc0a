"""A throwaway local PostgreSQL cluster (Debian's server) for tests and benchmarks.

``PgCluster.start()`` runs ``initdb`` and ``postgres`` on a free port on
127.0.0.1 (as the ``postgres`` account when we are root: the server refuses to
run as root); ``create_database()`` gives a fresh database URL for
SQLAlchemy with psycopg.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


def find_bin_dir() -> Path | None:
    """Where ``initdb`` and ``postgres`` live, or None when PostgreSQL is not installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for cand in candidates:
        if (Path(cand) / "initdb").is_file() and (Path(cand) / "postgres").is_file():
            return Path(cand)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("postgres") else None


def unavailable() -> str | None:
    """Why a cluster cannot be started here, or None."""
    if find_bin_dir() is None:
        return "PostgreSQL server (initdb, postgres) not installed: apt-get install postgresql"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, root: Path, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.root, self.port, self.proc = root, port, proc

    @classmethod
    def start(cls, timeout: float = 30.0) -> PgCluster:
        """Start a cluster in a new directory under the system temp dir (removed by ``stop``)."""
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(unavailable())
        # Not under a caller's private (0700, root-owned) folder: postgres must reach it.
        root = Path(tempfile.mkdtemp(prefix="cumulo-pg-"))
        data, sock = root / "data", root / "sock"
        data.mkdir(parents=True)
        sock.mkdir()
        # The server refuses to run as root: then run it as the postgres account,
        # directly (not through runuser), so that our signals reach it.
        user: str | None = None
        if os.geteuid() == 0:
            user = "postgres"
            for folder in (root, data, sock):
                shutil.chown(folder, user)
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "cumulo",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, user=user, cwd=root,
        )  # fmt: skip
        port = _free_port()
        cluster = cls(root, port, _launch(bin_dir, root, port, user))
        cluster._wait(timeout)
        return cluster

    def restart(self, down_seconds: float = 0.0, timeout: float = 30.0) -> None:
        """Stop the server (clients are cut off), stay down a while, start it on the same port."""
        self._shutdown()
        time.sleep(down_seconds)
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        user = "postgres" if os.geteuid() == 0 else None
        self.proc = _launch(bin_dir, self.root, self.port, user)
        self._wait(timeout)

    def _wait(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                log = (self.root / "postgres.log").read_text(errors="replace")
                raise RuntimeError(f"postgres exited {self.proc.returncode}: {log[-2000:]}")
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def dsn(self, database: str) -> str:
        return f"postgresql://cumulo@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://cumulo@127.0.0.1:{self.port}/{name}"

    def _shutdown(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: does not wait for clients
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        self._shutdown()
        shutil.rmtree(self.root, ignore_errors=True)


def _launch(bin_dir: Path, root: Path, port: int, user: str | None) -> subprocess.Popen[bytes]:
    """``postgres`` on ``root``'s cluster, listening on 127.0.0.1:``port``."""
    data, sock = root / "data", root / "sock"
    log = (root / "postgres.log").open("ab")
    return subprocess.Popen(
        [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
         "-k", str(sock), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
         "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
         "-c", "max_connections=300"],
        stdout=log, stderr=subprocess.STDOUT, user=user, cwd=root,
    )  # fmt: skip
