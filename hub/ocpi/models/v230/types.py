"""OCPI 2.3.0 basic types that differ from 2.2.1 (2.3.0 types.asciidoc)."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import Number, OneOf, String
from hub.types import Role as AnyRole

__all__ = ["Price", "Role", "TaxAmount"]


class TaxAmount(OcpiModel):
    """types.asciidoc, TaxAmount class."""

    name: Annotated[str, String()]
    account_number: Annotated[str, String()] | None = None
    percentage: Number | None = None
    amount: Number


class Price(OcpiModel):
    """types.asciidoc, Price class: before_taxes and the applicable taxes (replaces excl_vat/incl_vat)."""

    before_taxes: Number
    taxes: list[TaxAmount] | None = None


Role = Annotated[AnyRole, OneOf(tuple(role for role in AnyRole if role is not AnyRole.HUB))]
"""types.asciidoc, Role enum: the hub's one Role (`hub.types.Role`) without HUB, which is no
longer a role in 2.3.0. A refused value is an `enum` error, as with a separate 2.3.0 enum."""
