"""Validating the INDIGO corpus: cumulo's TOSCA processor against tosca-parser 2.15.0.

Usage: .venv/bin/python bench/tosca.py [--runs 5] [--json FILE]

One invocation times both, on every template of ../shared/compat/indigo, with
the same import map (the INDIGO type URLs served from the corpus folder):
- the baseline: OpenStack tosca-parser 2.15.0 in its own environment
  (``bench/.venv-baseline``, made here when absent), run by
  bench/tosca_baseline.py in a child process with its URL opener mapped;
- cumulo cold: a fresh ``Processor`` per template (normative types and
  imports parsed again each time, as tosca-parser does);
- cumulo first pass: the whole corpus through one new ``Processor`` (the
  first template parses the type library, the others reuse it);
- cumulo warm: one ``Processor`` whose type library is already cached.
Each template is validated ``--runs`` times; its median is kept. Ratios are
over the templates both accept: total baseline time / total cumulo time.
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


TARGETS = {"cold": 5.0, "warm": 20.0, "peak_mb": 200.0}


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


def run_cumulo(files: list[str], runs: int, warm: bool) -> dict[str, dict[str, Any]]:
    from cumulo.tosca.processor import Processor

    mapping = import_map()
    shared = Processor(import_map=mapping) if warm else None
    if shared is not None:
        for rel in files:  # fill the caches: the type library and parsed imports
            validate(shared, CORPUS_DIR / rel)
    results = {}
    for rel in files:
        times, verdict = [], (False, "")
        for _ in range(runs):
            start = time.perf_counter()
            processor = shared or Processor(import_map=mapping)
            verdict = validate(processor, CORPUS_DIR / rel)
            times.append(time.perf_counter() - start)
        results[rel] = {"accepted": verdict[0], "error": verdict[1], "times": times}
    return results


def run_corpus_pass(files: list[str], runs: int) -> dict[str, dict[str, Any]]:
    """The whole corpus through one new Processor, ``runs`` times: what `cumulo validate`
    over a folder does. The first template pays for the type library, the others reuse it."""
    from cumulo.tosca.processor import Processor

    results: dict[str, dict[str, Any]] = {rel: {"times": []} for rel in files}
    for _ in range(runs):
        processor = Processor(import_map=import_map())
        for rel in files:
            start = time.perf_counter()
            accepted, error = validate(processor, CORPUS_DIR / rel)
            results[rel]["times"].append(time.perf_counter() - start)
            results[rel].update(accepted=accepted, error=error)
    return results


def memory_child() -> None:
    """In a child process: validate the whole corpus once; print the tracemalloc peak."""
    import tracemalloc

    from cumulo.tosca.processor import Processor

    tracemalloc.start()
    processor = Processor(import_map=import_map())
    for rel in corpus_files():
        validate(processor, CORPUS_DIR / rel)
    _, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"tracemalloc_peak": peak}))


def measure_memory() -> dict[str, float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--memory-child"], stdout=subprocess.PIPE, text=True
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


def report(
    base: dict, cold: dict, first: dict, warm: dict, memory: dict, files: list[str]
) -> dict[str, Any]:
    print(f"{'template':58} {'tosca-parser':>12} {'cold':>8} {'warm':>8}  verdicts (tp/cumulo)")
    for rel in files:
        b, c, w = base["files"][rel], cold[rel], warm[rel]
        verdicts = f"{'ok' if b['accepted'] else 'no'}/{'ok' if c['accepted'] else 'no'}"
        print(
            f"{rel[-58:]:58} {median_ms(b):10.2f}ms {median_ms(c):6.2f}ms "
            f"{median_ms(w):6.2f}ms  {verdicts}"
        )
    both = [rel for rel in files if base["files"][rel]["accepted"] and cold[rel]["accepted"]]
    if not both:
        raise SystemExit("no template accepted by both: nothing to compare")
    totals = {
        name: sum(median_ms(results[rel]) for rel in both)
        for name, results in (
            ("baseline", base["files"]),
            ("cold", cold),
            ("first", first),
            ("warm", warm),
        )
    }
    summary = {
        "templates": len(files),
        "baseline_accepts": sum(base["files"][r]["accepted"] for r in files),
        "cumulo_accepts": sum(cold[r]["accepted"] for r in files),
        "both_accept": len(both),
        "median_ms": {
            "baseline": statistics.median(median_ms(base["files"][r]) for r in both),
            "cold": statistics.median(median_ms(cold[r]) for r in both),
            "warm": statistics.median(median_ms(warm[r]) for r in both),
        },
        "ratio_cold": totals["baseline"] / totals["cold"],
        "ratio_corpus_first_pass": totals["baseline"] / totals["first"],
        "ratio_warm": totals["baseline"] / totals["warm"],
        **memory,
    }
    med = summary["median_ms"]
    print()
    print(
        f"templates: {len(files)}; accepted by tosca-parser {summary['baseline_accepts']}, "
        f"by cumulo {summary['cumulo_accepts']}, by both {len(both)} (the ratios use these)"
    )
    print(
        f"median per template: tosca-parser {med['baseline']:.2f} ms, "
        f"cumulo cold {med['cold']:.2f} ms, warm {med['warm']:.2f} ms"
    )
    for key, label in (("ratio_cold", "cold"), ("ratio_warm", "warm")):
        verdict = "meets" if summary[key] >= TARGETS[label] else "MISSES"
        print(f"ratio {label}: {summary[key]:.1f}x ({verdict} the {TARGETS[label]:.0f}x target)")
        if label == "cold":
            first_ratio = summary["ratio_corpus_first_pass"]
            verdict = "meets" if first_ratio >= TARGETS["cold"] else "MISSES"
            print(
                f"ratio whole corpus, first pass of one new Processor: {first_ratio:.1f}x "
                f"({verdict} the {TARGETS['cold']:.0f}x target)"
            )
    verdict = "meets" if memory["max_rss_mb"] < TARGETS["peak_mb"] else "MISSES"
    print(
        f"peak memory, whole corpus: {memory['max_rss_mb']:.1f} MB max RSS "
        f"({verdict} the {TARGETS['peak_mb']:.0f} MB target), "
        f"tracemalloc peak {memory['tracemalloc_peak_mb']:.1f} MB"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="validations per template (median)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child()
        return
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    ensure_baseline()
    files = corpus_files()
    base = run_baseline(files, args.runs)
    cold = run_cumulo(files, args.runs, warm=False)
    first = run_corpus_pass(files, args.runs)
    warm = run_cumulo(files, args.runs, warm=True)
    summary = report(base, cold, first, warm, measure_memory(), files)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
