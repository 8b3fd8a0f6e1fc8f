"""OCPI 2.2.1 HubClientInfo module objects (mod_hub_client_info.asciidoc, "Object description")."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import CiString, DateTime, Role
from hub.ocpi.models.v221.enums import ConnectionStatus

__all__ = ["ClientInfo"]


class ClientInfo(OcpiModel):
    """mod_hub_client_info.asciidoc, ClientInfo object."""

    party_id: Annotated[str, CiString(3)]
    country_code: Annotated[str, CiString(2)]
    role: Role
    status: ConnectionStatus
    last_updated: DateTime
