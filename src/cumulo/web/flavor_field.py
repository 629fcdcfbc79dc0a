"""The wizard's Flavor choice: one select of the sites' flavors in place of CPU and memory.

When the group's usable sites declare flavors and the template asks for both
``num_cpus`` and ``mem_size``, the form offers "medium: 2 vCPUs, 4 GB RAM"
instead of two separate fields, as INFN's dashboard does; without flavors the
two fields stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.web.site_choices import FlavorChoice

FLAVOR_INPUTS = ("num_cpus", "mem_size")
FIELD = "flavor"


def flavor_tab(fields: list[Mapping[str, Any]], flavors: list[FlavorChoice]) -> str | None:
    """The tab the Flavor select replaces CPU and memory in, or None when it is not offered."""
    by_name = {f["name"]: f for f in fields}
    if not flavors or not all(name in by_name for name in FLAVOR_INPUTS):
        return None
    return str(by_name[FLAVOR_INPUTS[0]].get("tab"))


def apply_flavor(
    form: Any, parameters: dict[str, Any], errors: dict[str, str], flavors: list[FlavorChoice]
) -> str:
    """Put the chosen flavor's CPUs and memory in ``parameters``; the name chosen."""
    chosen = str(form.get(FIELD) or "").strip()
    if not chosen:
        return ""
    flavor = next((f for f in flavors if f.name == chosen), None)
    if flavor is None:
        errors[FIELD] = "Choose one of the listed flavors"
        return chosen
    cpus = flavor.vcpus
    parameters["num_cpus"] = int(cpus) if float(cpus).is_integer() else cpus
    parameters["mem_size"] = f"{flavor.ram_mb:g} MB"
    return chosen


def flavor_errors(errors: dict[str, str]) -> dict[str, str]:
    """Errors about CPU or memory shown at the Flavor select, which stands for them."""
    out = dict(errors)
    for name in FLAVOR_INPUTS:
        if name in out:
            out.setdefault(FIELD, out[name])
    return out
