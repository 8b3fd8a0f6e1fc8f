"""SQLModel tables. Change them only together with a migration in `migrations/versions/`.

A *platform* is one OCPI connection (one credentials exchange); it serves 1..n *parties*
(requirements §3.10). Tokens the hub accepts are stored as keyed hashes, tokens the hub sends
are stored encrypted (`hub.token_vault`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.types import ConnectionStatus, PlatformKind, TokenEncoding, as_utc

__all__ = [
    "Agreement",
    "Broadcast",
    "Endpoint",
    "HubUrl",
    "Lease",
    "OutboxMessage",
    "OutboxStatus",
    "Party",
    "Platform",
    "RegistryRevision",
    "StoredObject",
    "UtcDateTime",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp column that always reads back as aware UTC. SQLite keeps no time zone, so
    without this every reader would have to guess; PostgreSQL's timestamptz is normalised too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _ts(*, nullable: bool = False) -> Any:
    return sa.Column(UtcDateTime(), nullable=nullable)


class Platform(SQLModel, table=True):
    __tablename__ = "platform"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    status: str = Field(default=ConnectionStatus.PLANNED.value, max_length=16)
    versions_url: str | None = Field(default=None, max_length=255)
    version: str | None = Field(default=None, max_length=16)
    token_a_hash: str | None = Field(default=None, max_length=64, unique=True)
    inbound_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    outbound_token_enc: str | None = Field(default=None, max_length=512)
    token_encoding: str = Field(default=TokenEncoding.BASE64.value, max_length=8)
    timeout_seconds: float | None = None
    from_config: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    status_changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_seen_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    alternate_origins: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    # mutual TLS: the SHA-256 of the client certificate this platform must present (hex), if pinned
    client_cert_sha256: str | None = Field(default=None, max_length=64)
    # a registration with token A in progress since then (one at a time; a stale claim expires)
    registration_claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # what the platform is: a party's own platform, or an upstream hub reached through an adapter
    kind: str = Field(default=PlatformKind.PARTY.value, max_length=16, sa_column_kwargs={"server_default": "party"})
    profile: str | None = Field(default=None, max_length=16)  # the adapter's profile (ocpi upstream: spec, gireve)
    options: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))

    def set_status(self, status: ConnectionStatus) -> None:
        """Change the status; `status_changed_at` (ClientInfo.last_updated) moves only on a change."""
        if self.status != status.value:
            self.status = status.value
            self.status_changed_at = utcnow()


class Party(SQLModel, table=True):
    __tablename__ = "party"
    __table_args__ = (sa.UniqueConstraint("country_code", "party_id", "role", name="uq_party_key_role"),)

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    country_code: str = Field(max_length=2)
    party_id: str = Field(max_length=3)
    role: str = Field(max_length=8)
    business_details: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))


class Endpoint(SQLModel, table=True):
    __tablename__ = "endpoint"
    __table_args__ = (sa.UniqueConstraint("platform_id", "module", "interface_role", name="uq_endpoint"),)

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    module: str = Field(max_length=64)
    interface_role: str = Field(max_length=8)
    url: str = Field(max_length=255)


class RegistryRevision(SQLModel, table=True):
    """One row, bumped by every registry change, so every hub process can drop stale caches."""

    __tablename__ = "registry_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = 0


class StoredObject(SQLModel, table=True):
    """Published data that passed through the hub (locations, tariffs, tokens), for GET All and
    Open Routing. Sessions and CDRs are kept as ownership only (`data` null): they are personal."""

    __tablename__ = "stored_object"
    __table_args__ = (
        sa.UniqueConstraint("module", "country_code", "party_id", "object_id", name="uq_stored_object"),
        sa.Index("ix_stored_object_lookup", "module", "object_id"),
        sa.Index("ix_stored_object_updated", "module", "last_updated"),
    )

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(max_length=64)
    country_code: str = Field(max_length=2)
    party_id: str = Field(max_length=3)
    object_id: str = Field(max_length=80)
    data: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    last_updated: datetime = Field(sa_column=_ts())


class Broadcast(SQLModel, table=True):
    """A push addressed to the hub, accepted and answered; the dispatcher fans it out."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(max_length=64)
    interface_role: str = Field(max_length=8)
    method: str = Field(max_length=8)
    rest: str = Field(max_length=512)
    query: str = Field(default="", max_length=1024)
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    from_country_code: str = Field(max_length=2)
    from_party_id: str = Field(max_length=3)
    from_role: str = Field(max_length=8)
    platform_id: int
    correlation_id: str = Field(max_length=255)
    expanded: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class OutboxStatus(StrEnum):
    """Where an outbox message is: waiting (`pending`), or finished one of four ways."""

    PENDING = "pending"
    DELIVERED = "delivered"  # the receiver answered 1xxx
    REJECTED = "rejected"  # the receiver answered a client error (2xxx): final, never re-sent
    SKIPPED = "skipped"  # the receiver was not CONNECTED or no longer has the endpoint
    DEAD = "dead"  # outbox_max_attempts failed attempts; `ocpi-hub outbox replay` re-queues


class OutboxMessage(SQLModel, table=True):
    """One delivery the hub owes a receiver: FIFO per `receiver_key`, retried with backoff,
    dead after too many attempts (`OutboxStatus`)."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_queue", "status", "receiver_key", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    broadcast_id: int | None = None
    receiver_key: str = Field(max_length=32)
    receiver_platform_id: int
    to_country_code: str | None = Field(default=None, max_length=2)
    to_party_id: str | None = Field(default=None, max_length=3)
    from_country_code: str | None = Field(default=None, max_length=2)
    from_party_id: str | None = Field(default=None, max_length=3)
    module: str = Field(max_length=64)
    interface_role: str = Field(max_length=8)
    method: str = Field(max_length=8)
    rest: str = Field(max_length=512)
    query: str = Field(default="", max_length=1024)
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    correlation_id: str = Field(max_length=255)
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_error: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Agreement(SQLModel, table=True):
    """The operator's rule: may `sender` send `module` to `receiver`? `*` matches anything."""

    __tablename__ = "agreement"
    __table_args__ = (sa.UniqueConstraint("sender", "receiver", "module", name="uq_agreement"),)

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(max_length=8)
    receiver: str = Field(max_length=8)
    module: str = Field(max_length=64)
    allow: bool


class Lease(SQLModel, table=True):
    """A named lease (one dispatcher among several hub processes)."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=_ts())


class Route(SQLModel, table=True):
    """A party reachable through an upstream hub platform (parties a platform registered for
    itself are the `party` table: those are direct routes). See hub.routing.table."""

    __tablename__ = "route"
    __table_args__ = (
        sa.UniqueConstraint("platform_id", "country_code", "party_id", "role", name="uq_route"),
        sa.Index("ix_route_key", "country_code", "party_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    country_code: str = Field(max_length=2)
    party_id: str = Field(max_length=3)
    role: str = Field(max_length=8)
    priority: int
    status: str = Field(max_length=16)
    source: str = Field(max_length=24)
    modules: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    upstream_ids: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    expires_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_traffic_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class RoutePin(SQLModel, table=True):
    """A flow's follow-ups stay on the route it started on: `pin_key` (receiver, session id or
    authorization reference) -> the platform that carried it."""

    __tablename__ = "route_pin"

    id: int | None = Field(default=None, primary_key=True)
    pin_key: str = Field(max_length=255, sa_column_kwargs={"unique": True})
    platform_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class HubUrl(SQLModel, table=True):
    """A hub URL too long to carry its sealed target itself (`hub.forwarding.proxies`): the URL
    names this row, the row holds the sealed target (still encrypted and signed)."""

    __tablename__ = "hub_url"

    id: str = Field(primary_key=True, max_length=32)
    sealed: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False, index=True))
