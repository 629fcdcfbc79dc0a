"""``cumulo doctor`` on this machine: what it finds, and what it says to do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

CUMULO = str(Path(sys.executable).with_name("cumulo"))


def doctor(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CUMULO, "doctor", "--data-dir", str(tmp_path), *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )  # fmt: skip


def test_a_taken_port_and_an_unreachable_engine_are_problems_with_a_fix(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = doctor(tmp_path, "--port", str(port), CUMULO_DOCKER_HOST="tcp://127.0.0.1:9")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    engine = next(i for i, line in enumerate(lines) if "Docker engine" in line)
    assert lines[engine].startswith("FAIL") and "tcp://127.0.0.1:9" in lines[engine]
    assert "start dockerd" in lines[engine + 1]
    api = next(i for i, line in enumerate(lines) if "API port" in line)
    assert lines[api].startswith("FAIL") and f"127.0.0.1:{port} is taken" in lines[api]
    assert "another port" in lines[api + 1]
    assert "problem(s) to fix" in done.stderr
    assert any(line.startswith("ok") and "database" in line for line in lines)


def test_the_database_check_names_the_schema(tmp_path: Path) -> None:
    done = doctor(tmp_path)
    database = next(line for line in done.stdout.splitlines() if "database" in line)
    assert str(tmp_path) in database and "schema" in database
