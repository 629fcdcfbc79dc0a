"""Words for users where TOSCA has type names, and labels for output names."""

from __future__ import annotations

import re

# The node types users meet, by the last part of their name (any profile's).
TYPE_WORDS = {
    "Compute": "Virtual machine",
    "dockerRun": "Docker container",
    "Docker": "Docker container",
    "DockerCompose": "Docker Compose application",
    "BlockStorage": "Block storage",
    "Network": "Network",
    "Port": "Port",
    "Database": "Database",
    "WebServer": "Web server",
    "WebApplication": "Web application",
}


def type_word(node_type: str | None) -> str:
    """``tosca.nodes.indigo.Compute`` → "Virtual machine"; an unknown type's last part
    in words (``JupyterHub`` → "Jupyter hub")."""
    last = (node_type or "").rsplit(".", 1)[-1]
    if last in TYPE_WORDS:
        return TYPE_WORDS[last]
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", last).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower() if spaced else "Component"


def label(name: str) -> str:
    """An output or input name as a label: ``node_creds`` → "Node creds"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
