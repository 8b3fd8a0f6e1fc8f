"""OCPI 2.2.1 Credentials module objects (credentials.asciidoc, "Object description" and "Data types")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, AsciiString, CiString, Role
from hub.ocpi.models.v221.locations import BusinessDetails

__all__ = ["Credentials", "CredentialsRole"]


class CredentialsRole(OcpiModel):
    """credentials.asciidoc, CredentialsRole class."""

    role: Role
    business_details: BusinessDetails
    party_id: Annotated[str, CiString(3)]
    country_code: Annotated[str, CiString(2)]


class Credentials(OcpiModel):
    """credentials.asciidoc, Credentials object (token: string(64), ASCII, not Base64-encoded)."""

    token: Annotated[str, AsciiString(64)]
    url: URL
    roles: Annotated[list[CredentialsRole], Field(min_length=1)]
