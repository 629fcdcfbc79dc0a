"""Where ``cumulo deploy TEMPLATE`` takes its TOSCA text from.

A path to a file is read here, as given. Anything else is a service of the
server's catalogue (``GET /catalogue/NAME``), so the CLI deploys what the
server offers, not what happens to be installed beside the CLI. A server
without a catalogue (an INDIGO orchestrator) answers 404 to ``/catalogue``
itself; then the name is looked up in the catalogue shipped with cumulo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cumulo.cli.client.api import ApiError, ClientError, CumuloApi
from cumulo.cli.client.request import read_template

# A catalogue name (as the server's folders allow); anything else can only be a path.
SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


@dataclass(frozen=True)
class TemplateSource:
    text: str
    label: str  # what located messages call it: the file as given, or the service's name
    local: bool


def _server_names(api: CumuloApi, group: str | None) -> list[str] | None:
    """The server's catalogue names, or None when the server has no catalogue."""
    try:
        return [str(e.get("name")) for e in api.catalogue(group)]
    except ApiError as exc:
        if exc.code == 404:
            return None
        raise


def resolve_template(api: CumuloApi, ref: str, group: str | None = None) -> TemplateSource:
    """The TOSCA text named by ``ref``: a local file, else the server's catalogue entry."""
    path = Path(ref).expanduser()
    if path.exists() or not SERVICE_NAME.fullmatch(ref):
        return TemplateSource(read_template(ref), str(path), local=True)
    try:
        return TemplateSource(str(api.catalogue_entry(ref, group)["template"]), ref, local=False)
    except ApiError as exc:
        if exc.code != 404:
            raise
    names = _server_names(api, group)
    if names is None:  # not a cumulo server: the catalogue shipped with this CLI
        return TemplateSource(read_template(ref), ref, local=False)
    raise ClientError(
        f"template {ref!r}: no such file, and no catalogue service of that name on "
        f"{api.url} (catalogue: {', '.join(names) or 'empty'}; see `cumulo catalogue ls`)"
    )
