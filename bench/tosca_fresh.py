"""The fresh-process side of bench/tosca.py: one template, one new process, one new Processor.

Run as ``python bench/tosca_fresh.py CACHE_DIR CORPUS_RELATIVE_PATH``: imports
cumulo's processor (not timed, as the baseline does not time importing tosca-parser),
then times a new ``Processor`` validating the template, whose only help is
what earlier processes left in CACHE_DIR (the parsed type files). Prints
{"accepted": bool, "error": str, "time": seconds} as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.tosca.corpus: one definition of the corpus

from tests.tosca.corpus import CORPUS_DIR, import_map  # noqa: E402

# What a validation runs, imported before the clock starts (the processor imports
# these two on first use): tosca-parser's import is not timed either.
import cumulo.tosca.capability_defs  # noqa: E402
import cumulo.tosca.pipeline  # noqa: E402, F401
from cumulo.errors import ToscaError  # noqa: E402
from cumulo.tosca.processor import Processor  # noqa: E402


def main() -> None:
    cache_dir, rel = Path(sys.argv[1]), sys.argv[2]
    mapping = import_map()
    start = time.perf_counter()
    processor = Processor(import_map=mapping, cache_dir=cache_dir)
    try:
        template = processor.load_file(CORPUS_DIR / rel)
        errors = [str(e) for e in processor.check(template).errors]
    except ToscaError as exc:
        errors = [str(i) for i in exc.issues if getattr(i, "is_error", True)] or [exc.message]
    elapsed = time.perf_counter() - start
    print(
        json.dumps({"accepted": not errors, "error": errors[0] if errors else "", "time": elapsed})
    )


if __name__ == "__main__":
    main()
