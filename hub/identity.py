"""Who is calling: the platform a credentials token belongs to, and the parties it serves."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.types import ConnectionStatus, PartyKey, PlatformKind, Role, TokenEncoding

__all__ = ["Identity", "PartyRef", "Stage"]


class Stage(StrEnum):
    """Which token the platform presented: token A (registration only) or its credentials token."""

    REGISTRATION = "registration"
    CREDENTIALS = "credentials"


@dataclass(frozen=True, slots=True)
class PartyRef:
    key: PartyKey
    role: Role


@dataclass(frozen=True, slots=True)
class Identity:
    platform_id: int
    platform_name: str
    status: ConnectionStatus
    stage: Stage
    token_encoding: TokenEncoding
    version: str | None
    parties: tuple[PartyRef, ...]
    client_cert_sha256: str | None = None  # mutual TLS: the certificate it must present (hex SHA-256)
    kind: PlatformKind = PlatformKind.PARTY  # an upstream hub speaks for the parties behind it

    @property
    def upstream(self) -> bool:
        return self.kind is not PlatformKind.PARTY

    def serves(self, key: PartyKey) -> bool:
        return any(p.key == key for p in self.parties)

    @property
    def party_keys(self) -> frozenset[PartyKey]:
        return frozenset(p.key for p in self.parties)
