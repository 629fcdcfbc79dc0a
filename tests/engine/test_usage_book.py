"""The usage book: the database's per-(group, site) sums, brought up to date at each look."""

from __future__ import annotations

from sqlalchemy import update

from cumulo.engine.sites.usage_book import UsageBook
from cumulo.federation import Usage
from cumulo.store import Database
from cumulo.store.federation_queries import usage_changes
from cumulo.store.models import Deployment


def _add(db: Database, group: str | None, site: str | None, cores: float) -> str:
    with db.session() as s:
        dep = Deployment(status="CREATE_IN_PROGRESS", template="t", owner_issuer="i",
                         owner_subject="s", user_group=group, site_name=site,
                         need_instances=1, need_cores=cores)  # fmt: skip
        s.add(dep)
    return dep.id


def _book(db: Database) -> UsageBook:
    return UsageBook(db.dialect == "sqlite")


def test_the_book_follows_changes_and_keeps_unchanged_rows_as_they_were(db: Database) -> None:
    book = _book(db)
    a = _add(db, "phys", "site-a", 0.1)
    _add(db, "phys", "site-b", 2.0)
    _add(db, None, "site-a", 0.2)
    with db.reader() as s:
        book.refresh(s)
    assert book.group_usage[("phys", "site-a")] == Usage(1, 0.1)
    assert book.site_usage["site-a"] == Usage(2, 0.3)  # every group's, public ones too
    kept_b = book.site_usage["site-b"]
    with db.session() as s:  # a deployment leaves site-a: 0.1 + 0.2 - 0.1 read back exact
        s.execute(update(Deployment).where(Deployment.id == a).values(status="DELETE_COMPLETE"))
    with db.reader() as s:
        book.refresh(s)
        group_usage, site_usage = book.without(s, a)
    assert book.site_usage["site-a"] == Usage(1, 0.2)
    assert book.group_usage[("phys", "site-a")] == Usage(0, 0.0)
    assert book.site_usage["site-b"] is kept_b  # unchanged: the same object (for JudgeMemo)
    assert group_usage is book.group_usage and site_usage is book.site_usage  # a holds nothing


def test_a_deployment_scheduled_again_does_not_count_against_itself(db: Database) -> None:
    book = _book(db)
    dep = _add(db, "phys", "site-a", 2.0)
    _add(db, "phys", "site-a", 1.0)
    with db.reader() as s:
        book.refresh(s)
        group_usage, site_usage = book.without(s, dep)
    assert group_usage[("phys", "site-a")] == Usage(1, 1.0)
    assert site_usage["site-a"] == Usage(1, 1.0)
    assert book.site_usage["site-a"] == Usage(2, 3.0)  # the book itself is untouched


def test_an_older_look_applied_late_does_not_undo_a_newer_one(db: Database) -> None:
    """Two threads look at once with different snapshots: the later-applied, older rows
    lose (each row carries its seq)."""
    _add(db, "phys", "site-a", 1.0)
    with db.reader() as s:
        old = usage_changes(s)
    _add(db, "phys", "site-a", 1.0)
    book = _book(db)
    with db.reader() as s:
        book.refresh(s)
    assert book.site_usage["site-a"] == Usage(2, 2.0)

    book.apply(old)
    assert book.site_usage["site-a"] == Usage(2, 2.0)
