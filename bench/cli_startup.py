"""The `cumulo` command's start-up, as whole processes, against `python -c pass`.

Usage: .venv/bin/python bench/cli_startup.py [--runs 15]

Each command (`cumulo --help`, `cumulo version`, `cumulo validate vm.yaml` of
the shipped catalogue, and client commands talking to a real `cumulo serve`
started here: `cumulo ls`, `cumulo sites ls`, `cumulo deploy --help`) is timed
as a fresh process, interleaved with the floor, a bare `python -c pass` of the
same interpreter, so a loaded machine slows both alike. Prints the medians
(wall time, and the process's CPU time, which a loaded machine disturbs less),
the ratio to the floor and the target of issue 13 (--help, version and client
commands <= 0.25 s, validate <= 0.4 s). Like an installed cumulo, the commands
run with byte-code caching on (PYTHONDONTWRITEBYTECODE dropped), the cache in a
temporary PYTHONPYCACHEPREFIX so the checkout stays clean; the warm-up fills it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import TOKENS, cumulo_server, interleaved, timed

ROOT = Path(__file__).resolve().parents[1]
CUMULO = str(Path(sys.executable).with_name("cumulo"))
VM = ROOT / "src" / "cumulo" / "catalogue" / "templates" / "vm.yaml"
COMMANDS = {
    "cumulo --help": ([CUMULO, "--help"], 0.25),
    "cumulo version": ([CUMULO, "version"], 0.25),
    "cumulo validate vm.yaml": ([CUMULO, "validate", str(VM)], 0.4),
}
# Client commands: each makes its real request to the server (none for --help).
CLIENT_COMMANDS = {
    "cumulo ls": ([CUMULO, "ls"], 0.25),
    "cumulo sites ls": ([CUMULO, "sites", "ls"], 0.25),
    "cumulo deploy --help": ([CUMULO, "deploy", "--help"], 0.25),
}


def run(argv: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """The wall time of one process; its CPU time (user + system) appended to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(lambda: subprocess.run(argv, capture_output=True, check=True, env=env))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    print(
        f"{'command':26} {'median':>8} {'cpu':>7} {'floor':>8} {'ratio':>7} {'target':>7}  verdict"
    )
    with tempfile.TemporaryDirectory(prefix="cumulo-pycache-") as pycache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = pycache
        for label, (argv, target) in COMMANDS.items():
            report(label, argv, target, runs, env)
        with cumulo_server(workers=0) as url:
            env.update(CUMULO_URL=url, CUMULO_TOKEN=TOKENS[url])
            for label, (argv, target) in CLIENT_COMMANDS.items():
                report(label, argv, target, runs, env)


def report(label: str, argv: list[str], target: float, runs: int, env: dict[str, str]) -> None:
    floor_argv = [sys.executable, "-c", "pass"]
    cpu: list[float] = []
    floors, ours = interleaved(lambda: run(floor_argv, env), lambda: run(argv, env, cpu), runs)
    med, floor, used = (
        statistics.median(ours),
        statistics.median(floors),
        statistics.median(cpu[1:]),
    )
    verdict = "ok" if med <= target else "OVER"
    print(
        f"{label:26} {med:7.3f}s {used:6.3f}s {floor:7.3f}s {med / floor:6.1f}x {target:6.2f}s"
        f"  {verdict}"
    )


if __name__ == "__main__":
    main()
