"""Credentials, Version and VersionDetails objects as the hub reads them from a connecting
platform (credentials.asciidoc, version_information_endpoint.asciidoc).

`Credentials` and `CredentialsRole` are the OCPI model (`hub.ocpi.models.v221.credentials`, the
one the validator checks objects against), narrowed where the hub acts on the values at
registration: the token must fit an Authorization header (1-64 visible ASCII characters), the
versions URL must be http(s), and each role's party must be addressable by the routing headers
(country code 2 letters, party id 3 letters or digits). Everything else (business_details, role,
unknown fields kept) is the model's. Version and VersionDetails stay lenient: a platform's
endpoint list is read before the hub knows which edition it will speak.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.ocpi.models.v221 import credentials as model
from hub.types import InterfaceRole

__all__ = ["Credentials", "CredentialsRole", "Endpoint", "Version", "VersionDetails"]

CiString2 = Annotated[str, StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
CiString3 = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z0-9]{3}$")]
TokenString = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
Url = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^https?://")]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class CredentialsRole(model.CredentialsRole):
    """The model's CredentialsRole, with a party the routing headers can address."""

    party_id: CiString3
    country_code: CiString2


class Credentials(model.Credentials):
    """The model's Credentials, with a token and versions URL the hub can use."""

    token: TokenString
    url: Url
    roles: Annotated[list[CredentialsRole], Field(min_length=1)]  # type: ignore[assignment]  # narrowed items


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
