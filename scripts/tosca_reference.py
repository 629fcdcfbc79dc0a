"""The reference parser's own test templates, beside cumulo's verdicts: a part of
docs/tosca-compat.md (scripts/gen_tosca_compat.py writes the whole file).

OpenStack tosca-parser 2.15.0's source distribution carries its YAML test data
(its wheel does not): fetched through pip into bench/.tosca-parser-sdist
(git-ignored) when absent. tosca-parser's verdicts are recorded in
tests/tosca/data/tosca_parser_reference.tsv (``--refresh-reference`` runs it
again, in bench/.venv-baseline); cumulo's are computed each time, validating
each file as `cumulo validate --root DATA` does. Every difference is argued in
one line (tests/tosca/data/tosca_parser_differences.tsv).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = "2.15.0"
SDIST_DIR = ROOT / "bench" / ".tosca-parser-sdist"
DATA = SDIST_DIR / f"tosca_parser-{VERSION}" / "samples" / "tests" / "data"
REFERENCE = ROOT / "tests" / "tosca" / "data" / "tosca_parser_reference.tsv"
DIFFERENCES = ROOT / "tests" / "tosca" / "data" / "tosca_parser_differences.tsv"


def fetch_sdist() -> Path:
    """The test data folder, fetched (pip download of the sdist, then unpacked) when absent."""
    if DATA.is_dir():
        return DATA
    SDIST_DIR.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps"]
    subprocess.run([*pip, f"tosca-parser=={VERSION}", "-d", str(SDIST_DIR)], check=True)
    with tarfile.open(SDIST_DIR / f"tosca_parser-{VERSION}.tar.gz") as archive:
        archive.extractall(SDIST_DIR, filter="data")
    return DATA


def files() -> list[str]:
    """Every YAML file of the test data (CSAR archives are out of scope), sorted."""
    found = [*DATA.rglob("*.yaml"), *DATA.rglob("*.yml")]
    return sorted(str(p.relative_to(DATA)) for p in found)


def _read_tsv(path: Path, value: str) -> dict[str, str]:
    with path.open(newline="") as fh:
        return {row["file"]: row[value] for row in csv.DictReader(fh, delimiter="\t")}


def reference() -> dict[str, tuple[bool, str]]:
    """file -> (tosca-parser accepts it, its first error), as recorded."""
    with REFERENCE.open(newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {r["file"]: (r["verdict"] == "accepted", r["first_error"]) for r in rows}


def differences() -> dict[str, str]:
    """file -> why cumulo's verdict differs from tosca-parser's, in one line."""
    return _read_tsv(DIFFERENCES, "why")


def refresh_reference() -> None:
    """Run tosca-parser (bench/.venv-baseline) over the test data; record its verdicts."""
    sys.path.insert(0, str(ROOT / "bench"))
    from tosca import BASELINE_PYTHON, BENCH, ensure_baseline

    ensure_baseline()
    job = {"root": str(DATA), "files": files(), "import_map": {}, "runs": 1}
    proc = subprocess.run(
        [str(BASELINE_PYTHON), str(BENCH / "tosca_baseline.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(proc.stdout)["files"]
    with REFERENCE.open("w", newline="") as fh:
        out = csv.writer(fh, delimiter="\t", lineterminator="\n")
        out.writerow(["file", "verdict", "first_error"])
        for rel, r in sorted(results.items()):
            out.writerow([rel, "accepted" if r["accepted"] else "rejected", _plain(r["error"])])


def _plain(error: str) -> str:
    """tosca-parser's message without its wrapper and the traceback's file names."""
    error = error.replace(f"{DATA}/", "")
    _, sep, rest = error.partition("failed validation with the following error(s): ")
    return (rest if sep else error).split(" File /", 1)[0].strip()


def our_verdict(rel: str) -> tuple[bool, str]:
    """cumulo's verdict, as `cumulo validate --root DATA FILE` gives it."""
    from cumulo.errors import ToscaError
    from cumulo.tosca.processor import Processor

    processor = Processor(allowed_roots=[DATA])
    path = DATA / rel
    try:
        template = processor.load_text(path.read_bytes(), name=rel, base_dir=path.parent)
        errors = [str(i) for i in processor.check(template).errors]
    except ToscaError as exc:
        errors = [str(i) for i in exc.issues if i.is_error] or [exc.message]
    return not errors, (errors[0].replace(f"{DATA}/", "") if errors else "")


def render(cell) -> str:
    """The section of docs/tosca-compat.md; ``cell`` makes text fit a table cell."""
    fetch_sdist()
    theirs_all, why = reference(), differences()
    rows, agree = [], 0
    listed = files()
    for rel in listed:
        ok, error = our_verdict(rel)
        their_ok, their_error = theirs_all.get(rel, (False, "not run: refresh the reference"))
        agree += ok == their_ok
        ours = "accepted" if ok else f"rejected: {cell(error)}"
        theirs = "accepted" if their_ok else f"rejected: {cell(their_error)}"
        argued = "" if ok == their_ok else cell(why.get(rel, "NOT ARGUED"))
        rows.append(f"| `{rel}` | {ours} | {theirs} | {argued} |")
    return (
        f"## The reference parser's own tests (tosca-parser {VERSION})\n\n"
        f"Every YAML file of tosca-parser {VERSION}'s test data (its source distribution's\n"
        "`samples/tests/data`; the CSAR archives are left out, cumulo takes YAML), each\n"
        "validated as `cumulo validate --root DATA` does (imports may climb to `../`);\n"
        "tosca-parser's verdicts from `tests/tosca/data/tosca_parser_reference.tsv`.\n"
        "Where the verdicts differ, the last column says why, in one line.\n\n"
        f"Of {len(listed)} files, the verdicts agree on {agree} "
        f"({100 * agree // len(listed)}%).\n\n"
        f"| file | cumulo | tosca-parser {VERSION} | why they differ |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )


if __name__ == "__main__" and "--refresh-reference" in sys.argv:
    fetch_sdist()
    refresh_reference()
    print(f"wrote {REFERENCE.relative_to(ROOT)}")
