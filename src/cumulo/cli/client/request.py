"""Building a deployment request from the command line: template and parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cumulo.cli.client.api import ClientError


def catalogue_names() -> list[str]:
    """The shipped service names, or none when the catalogue is not installed."""
    try:
        from cumulo import catalogue
    except ImportError:
        return []
    names = getattr(catalogue, "names", None)
    return sorted(names()) if names else []


def _catalogue_path(name: str) -> Path | None:
    try:
        from cumulo import catalogue
    except ImportError:
        return None
    find = getattr(catalogue, "find", None)
    return find(name) if find else None


def template_path(ref: str) -> Path:
    """The TOSCA file named by ``ref``: a file path, else a catalogue service name."""
    path = Path(ref).expanduser()
    if not path.exists():
        found = _catalogue_path(ref)
        if found is None:
            names = ", ".join(catalogue_names()) or "none installed"
            raise ClientError(
                f"template {ref!r}: no such file, and no catalogue service of that name "
                f"(catalogue: {names})"
            )
        path = found
    if path.is_dir():
        raise ClientError(f"template {ref!r} is a directory, not a TOSCA file")
    return path


def read_template(ref: str) -> str:
    path = template_path(ref)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientError(f"cannot read template {str(path)!r}: {exc}") from exc


# The name the server gives the submitted text in its located messages.
SUBMITTED_NAME = "template.yaml"


def locate_in(message: str, path: Path | str) -> str:
    """Name the user's file in the server's ``template.yaml:LINE:COL`` locations.

    The server only ever sees the text, so it cannot know the file's name; the
    line and column refer to that text, which is the file's content exactly.
    """
    prefix = SUBMITTED_NAME + ":"
    lines = message.splitlines()
    return "\n".join(
        str(path) + line[len(SUBMITTED_NAME) :] if line.startswith(prefix) else line
        for line in lines
    )


def _read_value_file(key: str, ref: str) -> str:
    path = Path(ref).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientError(f"parameter {key!r}: cannot read {str(path)!r}: {exc}") from exc


def parse_param(item: str) -> tuple[str, Any]:
    """One ``-p`` item.

    ``KEY=VALUE`` gives a string (the server coerces it to the input's type)
    unless VALUE is a JSON list or map, ``KEY:=JSON`` any typed JSON value,
    ``KEY=@FILE`` the file's content (an SSH public key, say).
    """
    eq = item.find("=")
    if eq <= 0:
        raise ClientError(f"parameter {item!r}: expected KEY=VALUE, KEY:=JSON or KEY=@FILE")
    key, value = item[:eq], item[eq + 1 :]
    typed = key.endswith(":")
    key = key.removesuffix(":")
    if not key:
        raise ClientError(f"parameter {item!r}: the name before '=' is empty")
    if typed:
        try:
            return key, json.loads(value)
        except json.JSONDecodeError as exc:
            raise ClientError(f"parameter {key!r}: {value!r} is not JSON ({exc.msg})") from exc
    if value.startswith("@"):
        return key, _read_value_file(key, value[1:])
    if value[:1] in ("[", "{"):
        # A list or map written inline (docker_ports=[8080]); anything else stays text.
        try:
            return key, json.loads(value)
        except json.JSONDecodeError:
            pass
    return key, value


def read_params_file(ref: str) -> dict[str, Any]:
    """A JSON object of parameters, as ``orchent depcreate`` takes them."""
    path = Path(ref).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClientError(f"cannot read parameters file {str(path)!r}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ClientError(
            f"{path}:{exc.lineno}:{exc.colno}: parameters file is not JSON: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise ClientError(f"{path}: parameters must be a JSON object of name: value")
    return data


def build_params(items: list[str], params_file: str | None) -> dict[str, Any]:
    """Parameters from the file, with ``-p`` items overriding it."""
    params = read_params_file(params_file) if params_file else {}
    for item in items:
        key, value = parse_param(item)
        params[key] = value
    return params
