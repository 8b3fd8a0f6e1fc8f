"""OCPI 2.1.1 Tokens module objects (mod_tokens.md, 3. Object description, 4. Data types)."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import AsciiString, Boolean, DateTime
from hub.ocpi.models.v211.enums import Allowed, TokenType
from hub.ocpi.models.v211.types import DisplayText
from hub.ocpi.models.v221.enums import WhitelistType

__all__ = ["AuthorizationInfo", "LocationReferences", "Token", "TokenPatch"]


class LocationReferences(OcpiModel):
    """mod_tokens.md 4.2, LocationReferences class."""

    location_id: Annotated[str, AsciiString(39)]
    evse_uids: list[Annotated[str, AsciiString(39)]] | None = None
    connector_ids: list[Annotated[str, AsciiString(36)]] | None = None


class Token(OcpiModel):
    """mod_tokens.md 3.2, Token object."""

    uid: Annotated[str, AsciiString(36)]
    type: TokenType
    auth_id: Annotated[str, AsciiString(36)]
    visual_number: Annotated[str, AsciiString(64)] | None = None
    issuer: Annotated[str, AsciiString(64)]
    valid: Boolean
    whitelist: WhitelistType
    language: Annotated[str, AsciiString(2)] | None = None
    last_updated: DateTime


class AuthorizationInfo(OcpiModel):
    """mod_tokens.md 3.1, AuthorizationInfo object."""

    allowed: Allowed
    location: LocationReferences | None = None
    info: DisplayText | None = None


TokenPatch = patch_of(Token, required=frozenset())
