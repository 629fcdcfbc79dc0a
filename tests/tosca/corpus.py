"""The INDIGO TOSCA corpus in ../shared/compat/indigo: where it is, how to
resolve its imports offline, and what tosca-parser 2.15.0 said of each file.

Importable by the tests, the benchmark and the compatibility-doc script.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

# shared/ lies beside the repository, on a developer's machine as in CI.
_BESIDE_REPO = Path(__file__).resolve().parents[2].parent / "shared" / "compat" / "indigo"
CORPUS_DIR = Path(os.environ.get("CUMULO_INDIGO_CORPUS", _BESIDE_REPO))
TYPES_DIR = CORPUS_DIR / "tosca-types"
BRANCHES = ("master", "devel", "dodas_roll", "add-ek")
URL_BASE = "https://raw.githubusercontent.com/indigo-dc/tosca-types/"


def import_map() -> dict[str, Path]:
    """Every branch URL of indigo-dc/tosca-types served from the local copy."""
    return {f"{URL_BASE}{branch}/": TYPES_DIR for branch in BRANCHES}


def verdicts() -> dict[str, tuple[str, str]]:
    """relative file -> (tosca-parser verdict, its first error)."""
    out: dict[str, tuple[str, str]] = {}
    with open(CORPUS_DIR / "verdicts.tsv", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out[row["file"]] = (row["verdict"], row.get("first_error") or "")
    return out


def templates() -> list[Path]:
    """Every template of the corpus (those verdicts.tsv lists), sorted."""
    return sorted(CORPUS_DIR / name for name in verdicts())


def available() -> bool:
    return (CORPUS_DIR / "verdicts.tsv").is_file()
