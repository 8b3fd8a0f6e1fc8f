"""OCPI 2.3.0 basic types that differ from 2.2.1 (2.3.0 types.asciidoc)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import Number, String

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


class Role(StrEnum):
    """types.asciidoc, Role enum (HUB is no longer a role in 2.3.0)."""

    CPO = "CPO"
    EMSP = "EMSP"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"
