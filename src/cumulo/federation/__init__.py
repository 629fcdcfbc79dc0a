"""The federation: sites, SLAs, quotas, health and ranking, as pure functions over data.

Imports nothing of cumulo's but ``cumulo.errors``; the engine loads the data
from the store and calls ``schedule``.
"""

from cumulo.federation.capacity import never_fits
from cumulo.federation.images import container_image, image_name, missing_image
from cumulo.federation.model import (
    ComputeNeed,
    Federation,
    Flavor,
    Health,
    ImageNeed,
    Limits,
    Needs,
    Placement,
    SiteStats,
    SiteStatus,
    SiteView,
    Sla,
    Usage,
)
from cumulo.federation.scheduler import Decision, JudgeMemo, Verdict, no_site_message, schedule

__all__ = [
    "ComputeNeed",
    "Decision",
    "Federation",
    "Flavor",
    "Health",
    "ImageNeed",
    "JudgeMemo",
    "Limits",
    "Needs",
    "Placement",
    "SiteStats",
    "SiteStatus",
    "SiteView",
    "Sla",
    "Usage",
    "Verdict",
    "container_image",
    "image_name",
    "missing_image",
    "never_fits",
    "no_site_message",
    "schedule",
]
