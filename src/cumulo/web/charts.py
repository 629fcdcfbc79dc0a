"""Small SVG charts drawn on the server (no JavaScript library, nothing fetched at run time).

Each chart is an ``<svg role="img">`` with a title naming what it shows;
the admin page puts the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40
# Colours with at least 3:1 contrast on white, one per status family.
STATUS_COLOURS = {
    "CREATE_COMPLETE": "#1e7a3c",
    "UPDATE_COMPLETE": "#2f9e57",
    "CREATE_IN_PROGRESS": "#b07800",
    "UPDATE_IN_PROGRESS": "#c98f00",
    "DELETE_IN_PROGRESS": "#7a5cc2",
    "CREATE_FAILED": "#b3261e",
    "UPDATE_FAILED": "#d0453b",
    "DELETE_FAILED": "#8c1d18",
}
OTHER = "#5b6877"


def colour(status: str) -> str:
    return STATUS_COLOURS.get(status, OTHER)


def _frame(title: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _axis(top_value: float, unit: str = "") -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    out = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#5b6877"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#5b6877"/>',
    ]
    for frac in (0, 0.5, 1):
        y = HEIGHT - BOTTOM - frac * plot_h
        label = f"{top_value * frac:.3g}{unit}"
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#1b2430">{escape(label)}</text>'
        )
    return out


def _nice(value: float) -> float:
    """A round upper bound for an axis (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    exp = 10 ** len(str(int(value))) / 10
    for m in (1, 2, 5, 10):
        if value <= m * exp:
            return float(m * exp)
    return float(value)


def bars(title: str, items: Sequence[tuple[str, float]], colours: Sequence[str] = ()) -> Markup:
    """One bar per (label, value)."""
    top = _nice(max((v for _, v in items), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(items), 1)
    body = _axis(top)
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = LEFT + i * step + step * 0.15
        fill = colours[i] if i < len(colours) else "#1d5fa8"
        body.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{fill}"><title>{escape(label)}: {value:g}</title></rect>'
        )
        body.append(
            f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="11" '
            f'text-anchor="middle" fill="#1b2430">{escape(label[:18])}</text>'
        )
    return _frame(title, body)


def stacked_by_day(title: str, rows: Sequence[tuple[str, str, int]]) -> tuple[Markup, list[str]]:
    """Bars per day stacked by status from (day, status, count); the chart and its statuses."""
    days = sorted({d for d, _, _ in rows})[-30:]
    statuses = sorted({s for _, s, _ in rows})
    count = {(d, s): n for d, s, n in rows}
    totals = [sum(count.get((d, s), 0) for s in statuses) for d in days]
    top = _nice(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days), 1)
    body = _axis(top)
    for i, day in enumerate(days):
        y = HEIGHT - BOTTOM
        x = LEFT + i * step + step * 0.1
        for status in statuses:
            n = count.get((day, status), 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" '
                f'fill="{colour(status)}"><title>{day} {status}: {n}</title></rect>'
            )
        if i % max(len(days) // 6, 1) == 0:
            body.append(
                f'<text x="{x + step * 0.4:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="11" '
                f'text-anchor="middle" fill="#1b2430">{day[5:]}</text>'
            )
    return _frame(title, body), statuses


def points_over_time(title: str, points: Sequence[tuple[datetime, float]]) -> Markup:
    """A dot per (when, seconds), time left to right."""
    top = _nice(max((v for _, v in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = _axis(top, " s")
    if points:
        t0, t1 = points[0][0].timestamp(), points[-1][0].timestamp()
        span = max(t1 - t0, 1.0)
        for when, value in points:
            x = LEFT + plot_w * (when.timestamp() - t0) / span
            y = HEIGHT - BOTTOM - plot_h * value / top
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1d5fa8">'
                f"<title>{when:%Y-%m-%d %H:%M}: {value:.1f} s</title></circle>"
            )
        for when, anchor in ((points[0][0], "start"), (points[-1][0], "end")):
            x = LEFT if anchor == "start" else WIDTH - RIGHT
            body.append(
                f'<text x="{x}" y="{HEIGHT - BOTTOM + 14}" font-size="11" text-anchor="{anchor}" '
                f'fill="#1b2430">{when:%m-%d %H:%M}</text>'
            )
    return _frame(title, body)


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]
