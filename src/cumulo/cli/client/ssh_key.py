"""The SSH key a VM template asks for: the user's newest key on the server, or a clear hint.

The dashboard preselects the user's newest key; ``cumulo deploy`` does the same,
so ``cumulo deploy vm`` works for anyone who ran ``cumulo keys generate`` once.
"""

from __future__ import annotations

from typing import Any

from cumulo.cli.client.api import ApiError, ClientError, CumuloApi


def missing_key_input(template_text: str, params: dict[str, Any]) -> str | None:
    """The SSH key input the template requires, has no default and ``params`` lacks."""
    import yaml  # only a deploy reads a template here: keep `cumulo --help` light

    from cumulo.tosca.input_roles import Role, names_with

    try:
        doc = yaml.safe_load(template_text)
    except yaml.YAMLError:
        return None  # the server names the syntax error, with its line
    topology = doc.get("topology_template") if isinstance(doc, dict) else None
    inputs = topology.get("inputs") if isinstance(topology, dict) else None
    if not isinstance(inputs, dict):
        return None
    for name in sorted(names_with(Role.SSH_KEY, inputs)):  # the server's rule, applied here
        spec = inputs.get(name)
        if not isinstance(spec, dict) or name in params or "default" in spec:
            continue
        if spec.get("required", True):
            return name
    return None


def newest_key(api: CumuloApi) -> dict[str, Any] | None:
    """The caller's newest key on the server; none on a server without keys (INDIGO's)."""
    try:
        keys = api.keys()
    except ApiError as exc:
        if exc.code in (404, 405):
            return None
        raise
    keys = [k for k in keys if k.get("publicKey")]
    return max(keys, key=lambda k: str(k.get("createdAt") or ""), default=None)


def fill_ssh_key(api: CumuloApi, template_text: str, params: dict[str, Any]) -> str | None:
    """Put the newest key in the input the template needs; say which key, or why not."""
    name = missing_key_input(template_text, params)
    if name is None:
        return None
    key = newest_key(api)
    if key is None:
        raise ClientError(
            f"this service needs an SSH public key (input {name!r}) and you have none on "
            f"the server: run `cumulo keys generate` or pass -p {name}=@FILE "
            f"(e.g. -p {name}=@~/.ssh/id_ed25519.pub)"
        )
    params[name] = key["publicKey"]
    return f"using your newest SSH key {key.get('name', '')!r} ({key.get('fingerprint', '')})"
