"""Credentials, Version and VersionDetails objects of OCPI 2.2.1 (credentials.asciidoc,
version_information_endpoint.asciidoc). Unknown fields are kept (2.3.0 forbids rejecting them)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.types import InterfaceRole, Role

__all__ = ["BusinessDetails", "Credentials", "CredentialsRole", "Endpoint", "Version", "VersionDetails"]

CiString2 = Annotated[str, StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
CiString3 = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z0-9]{3}$")]
TokenString = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
Url = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^https?://")]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class BusinessDetails(_Open):
    name: Annotated[str, StringConstraints(max_length=100)]
    website: str | None = None
    logo: dict[str, Any] | None = None


class CredentialsRole(_Open):
    role: Role
    business_details: BusinessDetails
    party_id: CiString3
    country_code: CiString2


class Credentials(_Open):
    token: TokenString
    url: Url
    roles: list[CredentialsRole] = Field(min_length=1)


class Version(_Open):
    version: str
    url: Url


class Endpoint(_Open):
    identifier: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    role: InterfaceRole | None = None
    url: Url


class VersionDetails(_Open):
    version: str
    endpoints: list[Endpoint] = Field(min_length=1)
