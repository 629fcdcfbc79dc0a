"""Everything a compose file can name is scoped to its deployment.

Top-level volumes and networks are made by compose as ``<project>_<key>``, the
project being named from the deployment: a file may not choose their real name
(``name:``), use an existing one (``external`` in any form), another driver
than the local one, or driver options (which can mount host paths). A service
joins only networks of its own file, ``network_mode`` is ``none`` or
``service:<a service of this file>`` (``bridge`` is refused: it is the engine's
shared network, where the containers of other deployments live), the project
name is cumulo's, and no label may imitate cumulo's or compose's own labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.drivers.docker.compose_refusal import Refusal

RESERVED_LABELS = ("cumulo.", "com.docker.")
VOLUME_KEYS = frozenset({"driver", "labels"})
NETWORK_KEYS = frozenset({"driver", "labels", "internal", "enable_ipv6"})
LOCAL_DRIVERS = {"volumes": "local", "networks": "bridge"}


def scoped_definitions(
    refuse: Refusal, kind: str, value: Any, labels: Mapping[str, str], allow_external: bool
) -> dict[str, Any]:
    """The file's top-level ``volumes`` or ``networks``, each carrying the deployment's labels."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        refuse(kind, "must be a map")
    result = {}
    for key, spec in value.items():
        where = f"{kind}.{key}"
        spec = {} if spec is None else spec
        if not isinstance(spec, Mapping):
            refuse(where, "must be a map")
        if allow_external and (spec.get("external") or spec.get("name")):
            result[str(key)] = dict(spec)  # the site lets deployments share these
            continue
        for field in spec:
            if field in ("name", "external"):
                refuse(
                    f"{where}.{field}",
                    f"{kind} are named by cumulo, per deployment: "
                    f"{field} would reach a {kind[:-1]} outside this deployment",
                )
            if field not in (VOLUME_KEYS if kind == "volumes" else NETWORK_KEYS):
                refuse(f"{where}.{field}", f"the key {field!r} is not allowed")
        driver = spec.get("driver")
        if driver not in (None, "", LOCAL_DRIVERS[kind]):
            refuse(f"{where}.driver", f"only the {LOCAL_DRIVERS[kind]} driver is allowed")
        own = user_labels(refuse, f"{where}.labels", spec.get("labels"))
        result[str(key)] = {**spec, "labels": {**own, **labels}}
    return result


def user_labels(refuse: Refusal, where: str, value: Any) -> dict[str, str]:
    """A label map or list, refusing labels that imitate cumulo's or Docker's own."""
    if isinstance(value, Mapping):
        found = {str(k): "" if v is None else str(v) for k, v in value.items()}
    elif isinstance(value, list):
        found = dict(str(item).partition("=")[::2] for item in value)
    elif value in (None, ""):
        found = {}
    else:
        refuse(where, "must be a map or a list of labels")
    for name in found:
        if name.startswith(RESERVED_LABELS):
            refuse(where, f"the label {name!r} is reserved: cumulo and Docker set those")
    return found


def service_networks(refuse: Refusal, where: str, value: Any, declared: set[str]) -> None:
    """A service joins only the networks its own file declares (or the project's default)."""
    names = list(value) if isinstance(value, Mapping | list) else []
    if value not in (None, "") and not isinstance(value, Mapping | list):
        refuse(where, "must be a list or a map of networks")
    for name in names:
        if str(name) != "default" and str(name) not in declared:
            refuse(
                where,
                f"network {name!r} is not declared under the file's networks: "
                "a service joins only its deployment's networks",
            )


def network_mode(refuse: Refusal, where: str, value: Any, services: set[str]) -> None:
    mode = str(value)
    if mode == "none":
        return
    if mode.startswith("service:") and mode.removeprefix("service:") in services:
        return
    refuse(
        where,
        f"network_mode: {mode} is not allowed: only none or service:<a service of this "
        "file> (a service joins its deployment's networks with networks:)",
    )
