# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 HubClientInfo module objects (2.3.0 mod_hub_client_info.asciidoc): Role has no HUB."""

from __future__ import annotations

from hub.ocpi.models.v221 import hubclientinfo as v221
from hub.ocpi.models.v230.types import Role

__all__ = ["ClientInfo"]


class ClientInfo(v221.ClientInfo):
    """mod_hub_client_info.asciidoc, ClientInfo object."""

    role: Role
