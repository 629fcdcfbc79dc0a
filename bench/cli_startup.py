"""The `cumulo` command's start-up, as whole processes, against `python -c pass`.

Usage: .venv/bin/python bench/cli_startup.py [--runs 15]

Each command (`cumulo --help`, `cumulo version`, `cumulo validate vm.yaml` of
the shipped catalogue) is timed as a fresh process, interleaved with the
floor, a bare `python -c pass` of the same interpreter, so a loaded machine
slows both alike. Prints the medians, the ratio to the floor and the target
of issue 13 (--help and version <= 0.25 s, validate <= 0.4 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from harness import interleaved, timed

ROOT = Path(__file__).resolve().parents[1]
CUMULO = str(Path(sys.executable).with_name("cumulo"))
VM = ROOT / "src" / "cumulo" / "catalogue" / "templates" / "vm.yaml"
COMMANDS = {
    "cumulo --help": ([CUMULO, "--help"], 0.25),
    "cumulo version": ([CUMULO, "version"], 0.25),
    "cumulo validate vm.yaml": ([CUMULO, "validate", str(VM)], 0.4),
}


def run(argv: list[str]) -> float:
    return timed(lambda: subprocess.run(argv, capture_output=True, check=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    floor_argv = [sys.executable, "-c", "pass"]
    print(f"{'command':26} {'median':>8} {'floor':>8} {'ratio':>7} {'target':>7}  verdict")
    for label, (argv, target) in COMMANDS.items():
        floors, ours = interleaved(lambda: run(floor_argv), lambda a=argv: run(a), runs)
        med, floor = statistics.median(ours), statistics.median(floors)
        verdict = "ok" if med <= target else "OVER"
        print(f"{label:26} {med:7.3f}s {floor:7.3f}s {med / floor:6.1f}x {target:6.2f}s  {verdict}")


if __name__ == "__main__":
    main()
