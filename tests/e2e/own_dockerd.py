"""A second Docker engine of the caller's own, to stop and start at will.

Other tests use the machine's dockerd at the same time, so a test that restarts
an engine must never touch that one: this one has its own data root, exec
root (with its own containerd), socket, pid file and config file (the
machine's daemon.json is not read) and a default bridge of its own. Two settings
would make it delete the link named ``docker0`` (the other engine's bridge,
whoever owns it): ``--bridge none``, and address pools of its own
(``--default-address-pool``) at a restart over the same data. Without pools its
networks come from Docker's defaults, which skip the ranges already routed here.
It leaves iptables alone (both engines would rewrite the same chains); ports
published on 127.0.0.1 go through docker-proxy, which needs no iptables.
Used by ``test_engine_restart.py`` and ``bench/reconcile.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

BRIDGE_IP = "10.214.0.1/24"  # the own bridge's address: unrouted here too


def why_not() -> str | None:
    """Why a second engine cannot run here, or None."""
    if os.geteuid() != 0:
        return "a second dockerd needs root"
    if shutil.which("dockerd") is None:
        return "dockerd is not installed"
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
    if BRIDGE_IP.rsplit(".", 1)[0] + "." in routes:
        return f"the bridge's range {BRIDGE_IP} is already routed here"
    return None


class OwnDockerd:
    def __init__(self) -> None:
        # short: the socket path must fit in 108 bytes
        self.root = Path(tempfile.mkdtemp(prefix="cumulo-dockerd-", dir="/tmp"))
        (self.root / "daemon.json").write_text(json.dumps({}))
        self.endpoint = f"unix://{self.root}/docker.sock"
        self.bridge = f"cumulo-own{os.getpid() % 10000}"  # at most 15 characters
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> float:
        """Start the engine (again, over the same data); the seconds until it answered."""
        assert self.proc is None
        started = time.monotonic()
        links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
        if self.bridge not in links.split():
            # dockerd takes a named bridge as it finds it (--bip and --bridge exclude each other)
            for cmd in (["link", "add", self.bridge, "type", "bridge"],
                        ["addr", "add", BRIDGE_IP, "dev", self.bridge],
                        ["link", "set", self.bridge, "up"]):  # fmt: skip
                subprocess.run(["ip", *cmd], check=True)
        args = [
            "dockerd", "--config-file", str(self.root / "daemon.json"),
            "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "dockerd.pid"), "--host", self.endpoint,
            "--bridge", self.bridge, "--iptables=false", "--ip-masq=false",
        ]  # fmt: skip
        with (self.root / "dockerd.log").open("a") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        while self.docker("version", check=False).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() - started > timeout:
                raise RuntimeError(f"dockerd did not start:\n{self.log_tail()}")
            time.sleep(0.05)
        return time.monotonic() - started

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM, as a shutdown sends: the engine stops its containers, then exits."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def docker(self, *args: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "-H", self.endpoint, *args], capture_output=True,
                              text=True, check=check, **kw)  # type: ignore[call-overload]  # fmt: skip

    def load(self, *images: str) -> None:
        """Copy images from the machine's engine (no registry is reachable)."""
        save = subprocess.Popen(["docker", "save", *images], stdout=subprocess.PIPE)
        done = subprocess.run(["docker", "-H", self.endpoint, "load", "-q"], stdin=save.stdout,
                              capture_output=True, text=True)  # fmt: skip
        if save.wait() != 0 or done.returncode != 0:
            raise RuntimeError(f"could not copy {images} to the second engine: {done.stderr}")

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "dockerd.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def remove(self) -> None:
        """Stop it and remove everything it had: containers, networks, its folder."""
        if self.proc is not None:
            for kind, ids in (("rm", ["ps", "-aq"]), ("network rm", ["network", "ls", "-q",
                              "--filter", "type=custom"])):  # fmt: skip
                found = self.docker(*ids, check=False).stdout.split()
                if found:
                    self.docker(*kind.split(), *(["-f"] if kind == "rm" else []), *found,
                                check=False)  # fmt: skip
            self.stop()
        # dockerd leaves its data root (and network namespaces) mounted: deepest first
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if m.startswith(str(self.root))), reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
