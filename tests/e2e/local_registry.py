"""A real container registry for the tests: Debian's ``docker-registry`` (distribution
2.8) on 127.0.0.1, storing in a temporary folder, plain HTTP (the Docker engine
allows that for 127.0.0.0/8); stopped and its folder removed at the end. It also
counts the requests it gets (its access log), so a test can tell it was never asked."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml
from e2e_helpers import free_port

BINARY = "/usr/bin/docker-registry"


@dataclass(frozen=True)
class Registry:
    host: str  # "127.0.0.1:PORT": what a site's ``registry`` option names
    log: Path

    def requests(self) -> int:
        """How many HTTP requests it has answered so far (its access log's lines)."""
        return sum(
            '"GET ' in line or '"HEAD ' in line for line in self.log.read_text().splitlines()
        )

    def has(self, repository: str, tag: str) -> bool:
        r = httpx.get(f"http://{self.host}/v2/{repository}/tags/list", timeout=5)
        return r.status_code == 200 and tag in (r.json().get("tags") or [])


def why_not() -> str | None:
    if not Path(BINARY).exists():
        return f"{BINARY} is missing (apt-get install docker-registry; scripts/setup.sh does)"
    return None


@contextmanager
def local_registry() -> Iterator[Registry]:
    folder = Path(tempfile.mkdtemp(prefix="cumulo-registry-"))
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(folder / "data")},
            "delete": {"enabled": True},
        },
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    (folder / "config.yml").write_text(yaml.safe_dump(config))
    log = folder / "registry.log"
    with log.open("w") as out:
        proc = subprocess.Popen([BINARY, "serve", str(folder / "config.yml")], stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Registry(f"127.0.0.1:{port}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
