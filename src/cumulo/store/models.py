"""The tables: deployments, resources, attempts, events, jobs and sites.

Status columns hold INDIGO's strings; only ``cumulo.engine.states`` changes them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cumulo.store.db import utcnow
from cumulo.store.types import UTCDateTime


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text)
    task: Mapped[str] = mapped_column(String(32), default="NONE")
    template: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    callback: Mapped[str | None] = mapped_column(String(2048))
    user_group: Mapped[str | None] = mapped_column(String(255))
    owner_issuer: Mapped[str] = mapped_column(String(255))
    owner_subject: Mapped[str] = mapped_column(String(255))
    timeout_mins: Mapped[int | None] = mapped_column(Integer)
    provider_timeout_mins: Mapped[int | None] = mapped_column(Integer)
    max_providers_retry: Mapped[int | None] = mapped_column(Integer)
    keep_last_attempt: Mapped[bool] = mapped_column(Boolean, default=False)
    # The site the current (or last) attempt runs on; INDIGO's cloudProviderName.
    site_name: Mapped[str | None] = mapped_column(String(255))
    physical_id: Mapped[str | None] = mapped_column(String(255))
    # What an attempt in progress waits for ("node app[0]: waiting for ...", or "queued"), since.
    waiting_for: Mapped[str | None] = mapped_column(Text)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every change; the lifecycle issue uses it for optimistic locking.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The owner's words for it (the dashboard's "description"), and a lock
    # against deletion the owner sets and clears.
    description: Mapped[str | None] = mapped_column(Text)
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Placement: the site the user chose (our "Manual" scheduling), and the last
    # scheduling decision explained (``GET /deployments/{id}/scheduling``).
    requested_site: Mapped[str | None] = mapped_column(String(255))
    scheduling: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the deployment holds on its site, counted against SLA limits and quotas.
    need_instances: Mapped[int] = mapped_column(Integer, default=0)
    need_cores: Mapped[float] = mapped_column(Float, default=0.0)
    need_ram_mb: Mapped[float] = mapped_column(Float, default=0.0)
    need_volume_gb: Mapped[float] = mapped_column(Float, default=0.0)

    def __init__(self, **kw: Any) -> None:
        # The id is known before the first flush, so events can refer to it at once.
        kw.setdefault("id", new_uuid())
        super().__init__(**kw)

    resources: Mapped[list[Resource]] = relationship(
        back_populates="deployment", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        # GET /deployments: newest first, paged; id breaks ties so pages are stable.
        Index("ix_deployments_created", "created_at", "id"),
        Index("ix_deployments_owner_created", "owner_subject", "owner_issuer", "created_at"),
        Index("ix_deployments_group_created", "user_group", "created_at"),
    )


class SiteUsage(Base):
    """What the live deployments of a group hold on a site: kept by the database's
    triggers on ``deployments`` (migration 0010), never written by the code.

    ``seq`` rises with every change (in commit order on SQLite), so a reader asks
    only for the rows changed since its last look.
    """

    __tablename__ = "site_usage"

    user_group: Mapped[str] = mapped_column(String(255), primary_key=True)  # '' for none
    site_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    instances: Mapped[int] = mapped_column(Integer)
    cores: Mapped[float] = mapped_column(Float)
    ram_mb: Mapped[float] = mapped_column(Float)
    volume_gb: Mapped[float] = mapped_column(Float)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class Attempt(Base):
    """One try of a deployment on one site, with its error kept."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    site_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="RUNNING")  # RUNNING/SUCCEEDED/FAILED
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last site the job may try: its resources are kept on failure if keepLastAttempt.
    last_try: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Resource(Base):
    """One node instance (after ``count`` expansion) of a deployment."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    node_name: Mapped[str] = mapped_column(String(255))
    node_index: Mapped[int] = mapped_column(Integer, default=0)
    node_type: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="INITIAL")
    physical_id: Mapped[str | None] = mapped_column(String(255))
    site_name: Mapped[str | None] = mapped_column(String(255))
    # Runtime attributes from the driver (public_address, ssh_port, endpoint...).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    required_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Digest of what the driver was asked to make; an update recreates it when this changes.
    spec_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __init__(self, **kw: Any) -> None:
        # The id is known before the first flush, so events can refer to it at once.
        kw.setdefault("id", new_uuid())
        super().__init__(**kw)

    deployment: Mapped[Deployment] = relationship(back_populates="resources")

    __table_args__ = (
        UniqueConstraint("deployment_id", "node_name", "node_index", name="uq_resources_node"),
        Index("ix_resources_deployment_type", "deployment_id", "node_type"),
    )


class Event(Base):
    """An append-only record of what happened to a deployment; feeds ``/log``."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # status / resource / driver / info / error
    node: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)


class Job(Base):
    """A durable unit of work with a lease; see ``cumulo.engine.jobs.queue``."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # deploy / delete
    # No foreign key: a delete job outlives the deployment row it removes.
    deployment_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default="PENDING"
    )  # PENDING/RUNNING/DONE/FAILED
    tries: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A waiting job is not claimed before this instant (None: at once).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whose deployment it serves ("issuer subject"): claims take turns between owners.
    owner: Mapped[str | None] = mapped_column(String(512))

    # The claim's fair order steps from owner to owner along (status, owner, id).
    __table_args__ = (
        Index("ix_jobs_status_id", "status", "id"),
        Index("ix_jobs_status_owner_id", "status", "owner", "id"),
    )


class Callback(Base):
    """A deployment's JSON to POST to its ``callback`` URL (an outbox, delivered with retries)."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No foreign key: the notice of DELETE_COMPLETE outlives the deployment row.
    deployment_id: Mapped[str] = mapped_column(String(36), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")  # PENDING/DONE/FAILED
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_callbacks_status_next", "status", "next_at"),)


class Site(Base):
    """A federation member (see ``cumulo.engine.sites.registry``)."""

    __tablename__ = "sites"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(1024))
    # distribution -> version -> image reference
    images: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # active / maintenance / limited / removed (``cumulo.federation.SiteStatus``)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    region: Mapped[str | None] = mapped_column(String(255))
    # Usable without an SLA by deployments that name no group.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # The credentials reference, encrypted (``cumulo.secrets``); never shown.
    credentials: Mapped[str | None] = mapped_column(Text)
    # [{name, vcpus, ram_mb, disk_gb, gpus}], smallest first
    flavors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {instances, cores, ram_mb, volume_gb}: absent is unlimited
    quotas: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {gpus, public_ip, volumes}
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The last health probe: None until probed.
    health_up: Mapped[bool | None] = mapped_column(Boolean)
    health_error: Mapped[str | None] = mapped_column(Text)
    health_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    health_failures: Mapped[int] = mapped_column(Integer, default=0)
    health_latency_ms: Mapped[float | None] = mapped_column(Float)


class Sla(Base):
    """An agreement binding a user group to a site: priority (higher first) and limits."""

    __tablename__ = "slas"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(255), index=True)
    site_name: Mapped[str] = mapped_column(String(255))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # {instances, cores, ram_mb, volume_gb}: absent is unlimited
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The tables themselves, for the hot paths' core statements (built once at import: no
# ORM bookkeeping per row). One name each, wherever a statement is built.
DEPLOYMENTS = Deployment.__table__
ATTEMPTS = Attempt.__table__
RESOURCES = Resource.__table__
JOBS = Job.__table__
