"""The baseline side of bench/tosca.py: OpenStack tosca-parser over the INDIGO corpus.

Run by bench/tosca.py with the baseline's own interpreter
(``bench/.venv-baseline``, tosca-parser 2.15.0); it must not import cumulo.
URLs are served from local folders by the same import map cumulo gets: the
URL opener is replaced before parsing, so only parsing and validation are
timed. Reads a JSON job on stdin, writes a JSON result on stdout.

Job: {"root": DIR, "files": [relative paths], "import_map": {prefix: DIR}, "runs": N}
Result: {"version": ..., "files": {path: {"accepted": bool, "error": str, "times": [s, ...]}}}
"""

from __future__ import annotations

import io
import json
import logging
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


class _Local(io.BytesIO):
    def getcode(self) -> int:
        return 200


def install_import_map(import_map: dict[str, str]) -> None:
    """Serve mapped URLs from their folders; any other URL fails as if offline."""
    prefixes = sorted(import_map, key=len, reverse=True)

    def urlopen(url, *args, **kwargs):
        text = url if isinstance(url, str) else url.get_full_url()
        for prefix in prefixes:
            if text.startswith(prefix):
                path = Path(import_map[prefix]) / text[len(prefix) :].split("?", 1)[0]
                try:
                    return _Local(path.read_bytes())
                except OSError as exc:
                    raise urllib.error.URLError(f"not in the import map folder: {exc}") from None
        raise urllib.error.URLError("offline (URL not in the import map)")

    urllib.request.urlopen = urlopen


def main() -> None:
    job = json.load(sys.stdin)
    install_import_map(job["import_map"])
    logging.disable(logging.CRITICAL)
    import toscaparser
    from toscaparser.tosca_template import ToscaTemplate

    root = Path(job["root"])
    results = {}
    for rel in job["files"]:
        times, accepted, error = [], True, ""
        for _ in range(job["runs"]):
            start = time.perf_counter()
            try:
                ToscaTemplate(str(root / rel))
            except Exception as exc:  # the parser's verdict, whatever it raises
                detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
                accepted, error = False, f"{type(exc).__name__}: {detail}"[:300]
            times.append(time.perf_counter() - start)
        results[rel] = {"accepted": accepted, "error": error, "times": times}
    version = getattr(toscaparser, "__version__", "unknown")
    json.dump({"version": str(version), "files": results}, sys.stdout)


if __name__ == "__main__":
    main()
