# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 Credentials module objects (2.3.0 credentials.asciidoc): hub_party_id is new, Role has
no HUB, a platform lists the roles it provides (a hub: the parties reachable through it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.types import CiString
from hub.ocpi.models.v221 import credentials as v221
from hub.ocpi.models.v230.locations import BusinessDetails
from hub.ocpi.models.v230.types import Role

__all__ = ["Credentials", "CredentialsRole"]


class CredentialsRole(v221.CredentialsRole):
    """credentials.asciidoc, CredentialsRole class."""

    role: Role
    business_details: BusinessDetails


class Credentials(v221.Credentials):
    """credentials.asciidoc, Credentials object."""

    hub_party_id: Annotated[str, CiString(5)] | None = None
    roles: Annotated[list[CredentialsRole], Field(min_length=1)]
