"""OCPI 2.3.0 Payments module objects (mod_payments.asciidoc, tag v2.3.0; the module was later moved
out of the 2.3.0 core branch, and `payments` is not in the ModuleID table).

Terminal bodies differ by method (same file, Interfaces): the CPO's POST Terminal may carry just
the terminal_id ("can be just the terminal id"), the activation POST has no terminal_id yet, the
PATCH assigns location_ids/evse_uids. PUT carries a complete Terminal."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel, patch_of
from hub.ocpi.models.types import URL, CiString, DateTime
from hub.ocpi.models.v221.locations import GeoLocation
from hub.ocpi.models.v230.enums import CaptureStatusCode, InvoiceCreator
from hub.ocpi.models.v230.types import Price

__all__ = ["FinancialAdviceConfirmation", "Terminal", "TerminalActivation", "TerminalCreate", "TerminalPatch"]


class Terminal(OcpiModel):
    """mod_payments.asciidoc, Terminal object."""

    terminal_id: Annotated[str, CiString(36)]
    customer_reference: Annotated[str, CiString(36)] | None = None
    party_id: Annotated[str, CiString(3)] | None = None
    country_code: Annotated[str, CiString(2)] | None = None
    address: Annotated[str, CiString(45)] | None = None
    city: Annotated[str, CiString(45)] | None = None
    postal_code: Annotated[str, CiString(10)] | None = None
    state: Annotated[str, CiString(20)] | None = None
    country: Annotated[str, CiString(3)] | None = None
    coordinates: GeoLocation | None = None
    invoice_base_url: URL | None = None
    invoice_creator: InvoiceCreator | None = None
    reference: Annotated[str, CiString(36)] | None = None
    location_ids: list[Annotated[str, CiString(36)]] | None = None
    evse_uids: list[Annotated[str, CiString(36)]] | None = None
    last_updated: DateTime


TerminalCreate = patch_of(Terminal, required=frozenset({"terminal_id"}), name="TerminalCreate")
TerminalActivation = patch_of(Terminal, required=frozenset({"last_updated"}), name="TerminalActivation")
TerminalPatch = patch_of(Terminal, required=frozenset())


class FinancialAdviceConfirmation(OcpiModel):
    """mod_payments.asciidoc, Financial Advice Confirmation object."""

    id: Annotated[str, CiString(36)]
    authorization_reference: Annotated[str, CiString(36)]
    total_costs: Price
    currency: Annotated[str, CiString(3)]
    eft_data: Annotated[list[Annotated[str, CiString(255)]], Field(min_length=1)]
    capture_status_code: CaptureStatusCode
    capture_status_message: Annotated[str, CiString(255)] | None = None
    last_updated: DateTime
