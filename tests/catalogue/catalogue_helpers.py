"""Catalogue entries written into test folders, and a processor that counts what it loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cumulo.tosca import Processor, Template

GOOD = """\
tosca_definitions_version: tosca_simple_yaml_1_3
description: {description}
metadata:
  display_name: {title}
  icon: docker
topology_template:
  inputs:
    greeting:
      type: string
      default: hello
  node_templates:
    box:
      type: tosca.nodes.Compute
"""

# An unknown node type on line 6, column 13: a located error.
BROKEN = """\
tosca_definitions_version: tosca_simple_yaml_1_3
description: A broken service
topology_template:
  node_templates:
    box:
      type: tosca.nodes.NoSuchThing
"""


def write_entry(
    folder: Path,
    name: str,
    title: str = "",
    meta: str | None = None,
    text: str | None = None,
    *,
    in_place: bool = False,
) -> Path:
    """The entry's files, each written to a new file renamed over the old (as editors, cp and
    git do), or, ``in_place``, rewritten through the same inode."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    body = text if text is not None else GOOD.format(title=title or name, description=name)
    if in_place:
        path.write_text(body, encoding="utf-8")
    else:
        fresh = folder / f".{name}.yaml.new"
        fresh.write_text(body, encoding="utf-8")
        fresh.replace(path)
    if meta is not None:
        (folder / f"{name}.meta.yaml").write_text(meta, encoding="utf-8")
    return path


class CountingProcessor(Processor):
    """A real processor that records the name of every text it loads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded: list[str] = []

    def load_text(self, text: str | bytes, name: str = "template.yaml", base_dir=None) -> Template:
        self.loaded.append(name)
        return super().load_text(text, name=name, base_dir=base_dir)
