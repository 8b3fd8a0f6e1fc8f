"""SQLModel tables. Change them only together with a migration in `migrations/versions/`.

A *platform* is one OCPI connection (one credentials exchange); it serves 1..n *parties*
(requirements §3.10). Tokens the hub accepts are stored as keyed hashes, tokens the hub sends
are stored encrypted (`hub.token_vault`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.types import ConnectionStatus, TokenEncoding

__all__ = ["Endpoint", "Party", "Platform", "ProxyUrl", "RegistryRevision", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts() -> Any:
    return sa.Column(sa.DateTime(timezone=True), nullable=False)


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


class ProxyUrl(SQLModel, table=True):
    """A hub URL standing in for a URL a party cannot reach (requirements §3.9, checklist F).

    `kind` is `page` (a Link next page), `location` (a CDR Location) or `callback` (a command or
    charging-profile response_url). Only `caller_platform_id` may follow it; the hub then calls
    `target_url` on `target_platform_id` with that platform's token and the stored routing headers.
    """

    __tablename__ = "proxy_url"

    id: str = Field(primary_key=True, max_length=43)
    kind: str = Field(max_length=16)
    module: str = Field(max_length=64)
    target_url: str = Field(max_length=2048)
    target_platform_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    caller_platform_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    to_country_code: str = Field(max_length=2)
    to_party_id: str = Field(max_length=3)
    from_country_code: str = Field(max_length=2)
    from_party_id: str = Field(max_length=3)
    expires_at: datetime = Field(sa_column=_ts())
