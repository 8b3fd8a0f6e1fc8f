"""The hub's vocabulary: parties, roles, modules and interface roles.

Keys are case-insensitive in OCPI (CiString), so every key is normalised to upper case
the moment it enters the hub (`PartyKey.of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

__all__ = [
    "ConnectionStatus",
    "InterfaceRole",
    "PartyKey",
    "PlatformKind",
    "Role",
    "RouteSource",
    "TokenEncoding",
    "as_utc",
]


class Role(StrEnum):
    """OCPI 2.2.1 Role enum (types.asciidoc, Role)."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class PlatformKind(StrEnum):
    """What a connected platform is, and so which adapter carries requests to it."""

    PARTY = "party"  # a CPO's or eMSP's own platform: OCPI straight to its endpoints
    OCPI_UPSTREAM = "ocpi_upstream"  # another OCPI hub (profile spec or gireve)
    OICP_UPSTREAM = "oicp_upstream"  # an OICP 2.3 hub (Hubject style), through the OCPI <-> OICP bridge


class RouteSource(StrEnum):
    """Where a route to a party behind an upstream hub was learned."""

    CONFIG = "config"
    HUBCLIENTINFO = "hubclientinfo"
    CREDENTIALS_ROLES = "credentials_roles"
    OBSERVED = "observed"
    OICP_DATA = "oicp_data"


class InterfaceRole(StrEnum):
    """Endpoint interface role (version_information_endpoint.asciidoc, InterfaceRole)."""

    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class ConnectionStatus(StrEnum):
    """Connection status of a platform (mod_hub_client_info.asciidoc, ConnectionStatus)."""

    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    PLANNED = "PLANNED"
    SUSPENDED = "SUSPENDED"


class TokenEncoding(StrEnum):
    """How a platform puts its credentials token in the Authorization header.

    2.2+ says Base64; many 2.1.1 and 2.2 implementations send the raw token, so this is a
    per-platform flag (transport_and_format.asciidoc, note after line 36 in 2.2.1-d2).
    """

    BASE64 = "base64"
    RAW = "raw"


@dataclass(frozen=True, slots=True)
class PartyKey:
    """A party's address: country code plus party id, upper-cased."""

    country_code: str
    party_id: str

    @classmethod
    def of(cls, country_code: str, party_id: str) -> PartyKey:
        return cls(country_code.strip().upper(), party_id.strip().upper())

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id}"


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC (OCPI DateTime, types.asciidoc 12-32)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
