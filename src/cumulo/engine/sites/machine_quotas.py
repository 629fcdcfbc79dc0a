"""The local site's default quotas, sized from the machine it runs on.

Without quotas a shared site takes whatever is asked until the machine gives out
(600,000 instances were once tried). Containers' limits overcommit well, so the
quotas leave room above the machine's size, but stay within what it could ever
run: an admin who defines the local site (registry file or ``/sites``) sets
their own.
"""

from __future__ import annotations

import os

INSTANCES_PER_CORE = 50
# CPU limits of containers are ceilings that share the cores (each instance may ask for
# a whole one); memory limits too, seldom all reached at once.
CORES_PER_CORE = INSTANCES_PER_CORE
RAM_PER_RAM = 2


def machine_quotas() -> dict[str, float]:
    """Stored quotas (``instances``, ``cores``, ``ram_mb``) for this machine."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    quotas: dict[str, float] = {
        "instances": INSTANCES_PER_CORE * cores,
        "cores": float(CORES_PER_CORE * cores),
    }
    ram_mb = _memory_mb()
    if ram_mb:
        quotas["ram_mb"] = float(RAM_PER_RAM * ram_mb)
    return quotas


def _memory_mb() -> int | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not on this platform
        return None
    return pages * page_size // 1_000_000 if pages > 0 and page_size > 0 else None
