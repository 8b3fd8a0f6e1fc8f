"""OCPI 2.1.1 Credentials module object (credentials.md 2.1): one party per connection."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, AsciiString
from hub.ocpi.models.v211.locations import BusinessDetails

__all__ = ["Credentials"]


class Credentials(OcpiModel):
    """credentials.md 2.1, Credentials object."""

    token: Annotated[str, AsciiString(64)]
    url: URL
    business_details: BusinessDetails
    party_id: Annotated[str, AsciiString(3)]
    country_code: Annotated[str, AsciiString(2)]
