"""The service catalogue as data: folders of TOSCA templates plus card metadata.

A folder holds ``<name>.yaml`` (the TOSCA service template) and, optionally,
``<name>.meta.yaml`` (card and form metadata layered over the template's own
``metadata`` block). cumulo's own folder (``templates/``) comes first, then the
folders of ``CUMULO_CATALOGUE_DIRS``; see docs/catalogue.md.

- ``cumulo.catalogue.library``: ``catalogue_for(engine)``, the installation's
  catalogue (reloaded when its folders change, each template checked once per
  change), as the API and the dashboard read it;
- ``cumulo.catalogue.folders``: finding the files safely, and their fingerprint;
- ``cumulo.catalogue.entries``: one entry, its layered metadata and its issues;
- ``cumulo.catalogue.visibility``: which cards a group sees.

The functions below read the shipped folder only, without checking templates
(tests, and the CLI talking to a server that has no catalogue of its own). They
import nothing heavy: the CLI starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cumulo.catalogue.entries import Entry

TEMPLATES_DIR = Path(__file__).parent / "templates"


def names() -> list[str]:
    """The shipped catalogue's template names, sorted (``vm``, ``run-docker``, ...)."""
    from cumulo.catalogue.folders import scan_folder

    return sorted(scan_folder(TEMPLATES_DIR)[0])


def find(name: str) -> Path | None:
    """The template file of the shipped entry ``name``, or None if there is none."""
    from cumulo.catalogue.folders import scan_folder

    found = scan_folder(TEMPLATES_DIR)[0].get(name)
    return Path(found.path) if found is not None else None


def entry(name: str) -> Entry | None:
    """The shipped entry ``name`` with its layered metadata (its template not checked)."""
    from cumulo.catalogue.entries import load_entry
    from cumulo.catalogue.folders import scan

    source = scan([TEMPLATES_DIR]).sources.get(name)
    if source is None or source.template is None:
        return None
    return load_entry(source, None)
