"""OCPI 2.2.1 Tokens module objects (mod_tokens.asciidoc, "Object description" and "Data types")."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import Boolean, CiString, DateTime, DisplayText, String
from hub.ocpi.models.v221.enums import AllowedType, ProfileType, TokenType, WhitelistType

__all__ = ["AuthorizationInfo", "EnergyContract", "LocationReferences", "Token", "TokenPatch"]


class EnergyContract(OcpiModel):
    """mod_tokens.asciidoc, EnergyContract class."""

    supplier_name: Annotated[str, String(64)]
    contract_id: Annotated[str, String(64)] | None = None


class LocationReferences(OcpiModel):
    """mod_tokens.asciidoc, LocationReferences class (body of a real-time authorization)."""

    location_id: Annotated[str, CiString(36)]
    evse_uids: list[Annotated[str, CiString(36)]] | None = None


class Token(OcpiModel):
    """mod_tokens.asciidoc, Token object (unique per uid and type within the eMSP)."""

    country_code: Annotated[str, CiString(2)]
    party_id: Annotated[str, CiString(3)]
    uid: Annotated[str, CiString(36)]
    type: TokenType
    contract_id: Annotated[str, CiString(36)]
    visual_number: Annotated[str, String(64)] | None = None
    issuer: Annotated[str, String(64)]
    group_id: Annotated[str, CiString(36)] | None = None
    valid: Boolean
    whitelist: WhitelistType
    language: Annotated[str, String(2)] | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime


class AuthorizationInfo(OcpiModel):
    """mod_tokens.asciidoc, AuthorizationInfo object (reply to a real-time authorization)."""

    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: Annotated[str, CiString(36)] | None = None
    info: DisplayText | None = None


TokenPatch = patch_of(Token)
