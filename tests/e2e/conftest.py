"""A real ``cumulo serve`` subprocess on a free port with a temp data dir, on the real Docker."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from e2e_helpers import CUMULO, docker_problem, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    problem = docker_problem()
    if problem:
        pytest.skip(f"end-to-end tests need the real Docker engine: {problem}")
    data = tmp_path_factory.mktemp("cumulo-e2e")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [CUMULO, "serve", "--port", str(port), "--data-dir", str(data), "--workers", "2"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"cumulo serve exited {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"cumulo serve did not answer in 60 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
