"""What the live deployments hold per (group, site), kept in memory between decisions.

The database keeps the sums (the ``site_usage`` table, maintained by triggers on
``deployments``); this book holds a copy and, at each look, reads only the rows
changed since its last one (their ``seq`` rises in commit order on SQLite). On
PostgreSQL, whose transactions may commit out of ``seq`` order, every row is read
at each look (still no GROUP BY over the deployments).

A row's ``Usage`` object is replaced only when its values change, so a caller can
tell an unchanged site by identity; the book also logs which sites changed (a
``federation.UsageLog``), so a ``federation.JudgeMemo`` judges only those again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from cumulo.federation import Usage
from cumulo.store.direct import Tx
from cumulo.store.federation_queries import own_usage, usage_changes

LOG_KEPT = 10_000


class UsageBook:
    def __init__(self, incremental: bool) -> None:
        self.incremental = incremental
        self._lock = threading.Lock()
        self._seq = 0
        self._rows: dict[tuple[str | None, str], tuple[int, Usage]] = {}
        # Read by decisions without the lock: updated in place, one key at a time,
        # with values that are never changed once made.
        self.group_usage: dict[tuple[str, str], Usage] = {}
        self.site_usage: dict[str, Usage] = {}
        self._groups_of: dict[str, set[str | None]] = {}
        # The sites changed, in order; the first is change number ``_log_start``.
        self._log: list[str] = []
        self._log_start = 0

    @property
    def generation(self) -> int:
        return self._log_start + len(self._log)

    def changed_since(self, generation: int) -> set[str] | None:
        with self._lock:
            if generation < self._log_start:
                return None
            return set(self._log[generation - self._log_start :])

    def refresh(self, s: Tx) -> None:
        """Bring the book up to date with the database as ``s`` sees it."""
        self.apply(usage_changes(s, self._seq if self.incremental else 0))

    def apply(self, rows: Iterable[tuple[str | None, str, int, float, float, float, int]]) -> None:
        """Take ``site_usage`` rows read at any time: a row older than the one held is
        ignored (two threads' looks may be applied out of order)."""
        with self._lock:
            for group, site, inst, cores, ram, vol, seq in rows:
                self._seq = max(self._seq, seq)
                key = (group, site)
                held = self._rows.get(key)
                if held is not None and held[0] >= seq:
                    continue  # another thread applied this row, or a newer one, already
                used = Usage(int(inst), _round(cores), _round(ram), _round(vol))
                if held is not None and held[1] == used:
                    self._rows[key] = (seq, held[1])  # same values: the same object stays
                    continue
                self._rows[key] = (seq, used)
                if group is not None:
                    self.group_usage[key] = used  # type: ignore[index]
                self._groups_of.setdefault(site, set()).add(group)
                self.site_usage[site] = self._site_total(site)
                self._log.append(site)
            if len(self._log) > LOG_KEPT:  # bounded: a reader that far behind starts again
                self._log_start += len(self._log) // 2
                del self._log[: len(self._log) // 2]

    def without(self, s: Tx, dep_id: str) -> tuple[Mapping[tuple[str, str], Usage],
                                                          Mapping[str, Usage]]:  # fmt: skip
        """(group usage, site usage), less what ``dep_id`` itself holds (a deployment
        scheduled again); the book's own maps when it holds nothing."""
        own = own_usage(s, dep_id)
        if own is None:
            return self.group_usage, self.site_usage
        group, site, *needs = own
        share = Usage(int(needs[0]), *(float(x) for x in needs[1:]))
        group_usage, site_usage = dict(self.group_usage), dict(self.site_usage)
        if group is not None and (group, site) in group_usage:
            group_usage[(group, site)] = _less(group_usage[(group, site)], share)
        if site in site_usage:
            site_usage[site] = _less(site_usage[site], share)
        return group_usage, site_usage

    def _site_total(self, site: str) -> Usage:
        total = Usage()
        for group in self._groups_of.get(site, ()):
            total = total + self._rows[(group, site)][1]
        return Usage(total.instances, *map(_round, (total.cores, total.ram_mb, total.volume_gb)))


def _less(a: Usage, b: Usage) -> Usage:
    return Usage(
        a.instances - b.instances,
        _round(a.cores - b.cores),
        _round(a.ram_mb - b.ram_mb),
        _round(a.volume_gb - b.volume_gb),
    )


def _round(x: float) -> float:
    # Sums kept by adding and subtracting floats drift (0.1 + 0.2 - 0.1): quotas compare
    # them exactly, so they are read rounded.
    return round(float(x), 6)
