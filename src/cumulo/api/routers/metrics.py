"""``/metrics`` in the Prometheus text format, computed from the store at each scrape.

Being read from the database, the figures are the same whichever process
serves the scrape, and survive restarts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from cumulo.app_state import get_engine
from cumulo.engine.runtime import Engine
from cumulo.store.federation_queries import (
    attempt_counts,
    jobs_by_status,
    succeeded_attempt_times,
)
from cumulo.store.models import Site

router = APIRouter(tags=["metrics"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Create latency buckets, seconds.
BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**kv: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in kv.items()) + "}"


def _family(name: str, kind: str, help_: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", *samples]


def _histogram(name: str, by_site: dict[str, list[float]]) -> list[str]:
    lines = []
    for site, values in sorted(by_site.items()):
        values.sort()
        i = 0
        for bound in BUCKETS:
            while i < len(values) and values[i] <= bound:
                i += 1
            lines.append(f"{name}_bucket{_labels(site=site, le=f'{bound:g}')} {i}")
        lines.append(f"{name}_bucket{_labels(site=site, le='+Inf')} {len(values)}")
        lines.append(f"{name}_sum{_labels(site=site)} {sum(values):.3f}")
        lines.append(f"{name}_count{_labels(site=site)} {len(values)}")
    return lines


def render(engine: Engine) -> str:
    with engine.db.session() as s:
        sites = s.execute(
            select(Site.name, Site.status, Site.health_up, Site.health_latency_ms)
        ).all()
        attempts = attempt_counts(s)
        latencies: dict[str, list[float]] = defaultdict(list)
        for site, started, ended in succeeded_attempt_times(s):
            latencies[site].append((ended - started).total_seconds())
        jobs = jobs_by_status(s)
    probed = [x for x in sites if x.health_up is not None]
    out = _family(
        "cumulo_site_up", "gauge", "1 if the site's last health probe succeeded, else 0.",
        (f"cumulo_site_up{_labels(site=x.name)} {int(x.health_up)}" for x in probed),
    )  # fmt: skip
    out += _family(
        "cumulo_site_probe_seconds", "gauge", "How long the site's last health probe took.",
        (f"cumulo_site_probe_seconds{_labels(site=x.name)} {(x.health_latency_ms or 0) / 1000:.4f}"
         for x in probed),
    )  # fmt: skip
    out += _family(
        "cumulo_site_status", "gauge", "1 for the site's administrative status.",
        (f"cumulo_site_status{_labels(site=x.name, status=x.status)} 1" for x in sites),
    )  # fmt: skip
    out += _family(
        "cumulo_attempts_total", "counter", "Attempts of deployments on a site, by outcome.",
        (f"cumulo_attempts_total{_labels(site=site, outcome=status.lower())} {n}"
         for site, status, n in sorted(attempts)),
    )  # fmt: skip
    out += _family(
        "cumulo_create_latency_seconds", "histogram",
        "Duration of the successful attempts (create latency), per site.", [],
    )  # fmt: skip
    out += _histogram("cumulo_create_latency_seconds", latencies)
    out += _family(
        "cumulo_jobs", "gauge", "Jobs in the queue by status.",
        (f"cumulo_jobs{_labels(status=st.lower())} {n}" for st, n in sorted(jobs.items())),
    )  # fmt: skip
    out += _family(
        "cumulo_queue_depth", "gauge", "Jobs waiting for a worker.",
        [f"cumulo_queue_depth {jobs.get('PENDING', 0)}"],
    )  # fmt: skip
    return "\n".join(out) + "\n"


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
def metrics(engine: Engine = Depends(get_engine)) -> PlainTextResponse:
    return PlainTextResponse(render(engine), media_type=CONTENT_TYPE)
