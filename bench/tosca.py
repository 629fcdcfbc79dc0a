"""Validating the INDIGO corpus: cumulo's TOSCA processor against tosca-parser 2.15.0.

Usage: .venv/bin/python bench/tosca.py [--runs 5] [--json FILE]

One invocation times both, on every template of ../shared/compat/indigo, with
the same import map (the INDIGO type URLs served from the corpus folder):
- the baseline: OpenStack tosca-parser 2.15.0 in its own environment
  (``bench/.venv-baseline``, made here when absent), run by
  bench/tosca_baseline.py in a child process with its URL opener mapped;
- cumulo cold, no disk cache: a fresh ``Processor`` per template that parses
  the normative types and imports again each time, as tosca-parser does (and
  as cumulo did before issue 13);
- cumulo cold: a fresh ``Processor`` per template whose only help is the disk
  cache of parsed type files (by content hash) that earlier ones left;
- cumulo fresh process: the same, each template in a new process
  (bench/tosca_fresh.py; importing cumulo is not timed, nor is tosca-parser's);
- cumulo first pass: the whole corpus through one new ``Processor`` (the
  first template parses the type library, the others reuse it);
- cumulo warm: one ``Processor`` whose type library is already cached.
Each template is validated ``--runs`` times (a fresh process: ``--process-runs``);
its median is kept. Ratios are over the templates both accept: total baseline
time / total cumulo time. The disk cache is a temporary folder, filled by one
pass before the timings and removed at the end.
Peak memory: a child process validates the whole corpus with one Processor;
its maximum resident set size (and the tracemalloc peak) are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
BASELINE_ENV = BENCH / ".venv-baseline"
BASELINE_PYTHON = BASELINE_ENV / "bin" / "python"
BASELINE_PACKAGE = "tosca-parser==2.15.0"
sys.path.insert(0, str(ROOT))  # for tests.tosca.corpus: one definition of the corpus

from tests.tosca.corpus import CORPUS_DIR, import_map, templates  # noqa: E402


def corpus_files() -> list[str]:
    """The corpus templates, relative to the corpus folder, sorted."""
    return [str(path.relative_to(CORPUS_DIR)) for path in templates()]


TARGETS = {"cold": 10.0, "warm": 20.0, "peak_mb": 200.0}  # cold: issue 13
CACHE_DIR = Path()  # the disk cache of parsed type files: a temporary folder, set by main


def ensure_baseline() -> None:
    """Create the baseline environment with tosca-parser 2.15.0 unless it is there."""
    check = [str(BASELINE_PYTHON), "-c", "import toscaparser"]
    if BASELINE_PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return
    print(f"creating {BASELINE_ENV} with {BASELINE_PACKAGE} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(BASELINE_ENV)], check=True)
    pip = [str(BASELINE_PYTHON), "-m", "pip", "install", "-q", BASELINE_PACKAGE]
    subprocess.run(pip, check=True)


def run_baseline(files: list[str], runs: int) -> dict[str, Any]:
    job = {
        "root": str(CORPUS_DIR),
        "files": files,
        "import_map": {prefix: str(path) for prefix, path in import_map().items()},
        "runs": runs,
    }
    proc = subprocess.run(
        [str(BASELINE_PYTHON), str(BENCH / "tosca_baseline.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the baseline failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def validate(processor: Any, path: Path) -> tuple[bool, str]:
    """cumulo's verdict on one template: (accepted, first error)."""
    from cumulo.errors import ToscaError

    try:
        template = processor.load_file(path)
        errors = processor.check(template).errors
    except ToscaError as exc:
        errors = [i for i in exc.issues if getattr(i, "is_error", True)] or [exc.message]
    return (not errors, str(errors[0]) if errors else "")


def new_processor(cache_parsed: bool = True) -> Any:
    from cumulo.tosca.processor import Processor

    return Processor(import_map=import_map(), cache_dir=CACHE_DIR, cache_parsed=cache_parsed)


def run_cumulo(
    files: list[str], runs: int, warm: bool, cache_parsed: bool = True
) -> dict[str, dict[str, Any]]:
    shared = new_processor() if warm else None
    if shared is not None:
        for rel in files:  # fill the caches: the type library and parsed imports
            validate(shared, CORPUS_DIR / rel)
    results = {}
    for rel in files:
        times, verdict = [], (False, "")
        for _ in range(runs):
            start = time.perf_counter()
            processor = shared or new_processor(cache_parsed)
            verdict = validate(processor, CORPUS_DIR / rel)
            times.append(time.perf_counter() - start)
        results[rel] = {"accepted": verdict[0], "error": verdict[1], "times": times}
    return results


def run_corpus_pass(files: list[str], runs: int) -> dict[str, dict[str, Any]]:
    """The whole corpus through one new Processor, ``runs`` times: what `cumulo validate`
    over a folder does. The first template pays for the type library, the others reuse it."""
    results: dict[str, dict[str, Any]] = {rel: {"times": []} for rel in files}
    for _ in range(runs):
        processor = new_processor()
        for rel in files:
            start = time.perf_counter()
            accepted, error = validate(processor, CORPUS_DIR / rel)
            results[rel]["times"].append(time.perf_counter() - start)
            results[rel].update(accepted=accepted, error=error)
    return results


def run_fresh_processes(files: list[str], runs: int) -> dict[str, dict[str, Any]]:
    """Each template validated in a new process (bench/tosca_fresh.py), ``runs`` times.

    Byte-code caching on, as an installed cumulo has it (and tosca-parser's
    environment), its cache in a folder of the bench's own.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(CACHE_DIR / "pycache")
    results: dict[str, dict[str, Any]] = {}
    for rel in files:
        times = []
        for _ in range(runs):
            argv = [sys.executable, str(BENCH / "tosca_fresh.py"), str(CACHE_DIR), rel]
            done = subprocess.run(argv, capture_output=True, check=True, env=env)
            out = json.loads(done.stdout)
            times.append(out["time"])
        results[rel] = {"accepted": out["accepted"], "error": out["error"], "times": times}
    return results


def memory_child() -> None:
    """In a child process: validate the whole corpus once; print the tracemalloc peak."""
    import tracemalloc

    tracemalloc.start()
    processor = new_processor()
    for rel in corpus_files():
        validate(processor, CORPUS_DIR / rel)
    _, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"tracemalloc_peak": peak}))


def measure_memory() -> dict[str, float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--memory-child", str(CACHE_DIR)],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("the memory child failed")
    peak = json.loads(out)["tracemalloc_peak"]
    return {"max_rss_mb": usage.ru_maxrss / 1024, "tracemalloc_peak_mb": peak / 2**20}


def median_ms(entry: dict[str, Any]) -> float:
    return statistics.median(entry["times"]) * 1000


# (key, label, target): every cumulo figure, against tosca-parser
FIGURES = (
    ("cold_nocache", "cold, no disk cache (before issue 13)", "cold"),
    ("cold", "cold: fresh Processor, disk cache", "cold"),
    ("fresh_process", "cold: fresh process and Processor, disk cache", "cold"),
    ("first", "whole corpus, first pass of one new Processor", "cold"),
    ("warm", "warm: one Processor, library cached", "warm"),
)


def report(base: dict, results: dict[str, dict], memory: dict, files: list[str]) -> dict[str, Any]:
    cold = results["cold"]
    heads = ("no cache", "cold", "process", "warm")
    print(
        f"{'template':52} {'tosca-parser':>12} "
        + " ".join(f"{h:>8}" for h in heads)
        + "  tp/cumulo"
    )
    for rel in files:
        b = base["files"][rel]
        times = (results[k][rel] for k in ("cold_nocache", "cold", "fresh_process", "warm"))
        verdicts = f"{'ok' if b['accepted'] else 'no'}/{'ok' if cold[rel]['accepted'] else 'no'}"
        cells = " ".join(f"{median_ms(t):6.2f}ms" for t in times)
        print(f"{rel[-52:]:52} {median_ms(b):10.2f}ms {cells}  {verdicts}")
    both = [rel for rel in files if base["files"][rel]["accepted"] and cold[rel]["accepted"]]
    if not both:
        raise SystemExit("no template accepted by both: nothing to compare")
    baseline = sum(median_ms(base["files"][rel]) for rel in both)
    ratios = {k: baseline / sum(median_ms(results[k][rel]) for rel in both) for k, _, _ in FIGURES}
    summary = {
        "templates": len(files),
        "baseline_accepts": sum(base["files"][r]["accepted"] for r in files),
        "cumulo_accepts": sum(cold[r]["accepted"] for r in files),
        "both_accept": len(both),
        "median_ms": {
            "baseline": statistics.median(median_ms(base["files"][r]) for r in both),
            **{k: statistics.median(median_ms(results[k][r]) for r in both) for k, _, _ in FIGURES},
        },
        **{f"ratio_{k}": ratio for k, ratio in ratios.items()},
        **memory,
    }
    med = summary["median_ms"]
    print()
    print(
        f"templates: {len(files)}; accepted by tosca-parser {summary['baseline_accepts']}, "
        f"by cumulo {summary['cumulo_accepts']}, by both {len(both)} (the ratios use these)"
    )
    print(
        f"median per template: tosca-parser {med['baseline']:.2f} ms, cumulo cold "
        f"{med['cold']:.2f} ms, fresh process {med['fresh_process']:.2f} ms, "
        f"warm {med['warm']:.2f} ms"
    )
    for key, label, target in FIGURES:
        verdict = "meets" if ratios[key] >= TARGETS[target] else "MISSES"
        print(f"ratio {label}: {ratios[key]:.1f}x ({verdict} the {TARGETS[target]:.0f}x target)")
    verdict = "meets" if memory["max_rss_mb"] < TARGETS["peak_mb"] else "MISSES"
    print(
        f"peak memory, whole corpus: {memory['max_rss_mb']:.1f} MB max RSS "
        f"({verdict} the {TARGETS['peak_mb']:.0f} MB target), "
        f"tracemalloc peak {memory['tracemalloc_peak_mb']:.1f} MB"
    )
    return summary


def main() -> None:
    global CACHE_DIR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="validations per template (median)")
    parser.add_argument(
        "--process-runs", type=int, default=1, help="fresh processes per template (median)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        CACHE_DIR = args.memory_child
        memory_child()
        return
    if args.runs < 1 or args.process_runs < 1:
        parser.error("--runs and --process-runs must be at least 1")
    ensure_baseline()
    files = corpus_files()
    base = run_baseline(files, args.runs)
    with tempfile.TemporaryDirectory(prefix="cumulo-bench-tosca-") as folder:
        CACHE_DIR = Path(folder)
        results = {"cold_nocache": run_cumulo(files, args.runs, warm=False, cache_parsed=False)}
        run_cumulo(files, 1, warm=False)  # fills the disk cache, as earlier processes would
        results["cold"] = run_cumulo(files, args.runs, warm=False)
        run_fresh_processes(files[:1], 1)  # fills the byte-code cache
        results["fresh_process"] = run_fresh_processes(files, args.process_runs)
        results["first"] = run_corpus_pass(files, args.runs)
        results["warm"] = run_cumulo(files, args.runs, warm=True)
        summary = report(base, results, measure_memory(), files)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
