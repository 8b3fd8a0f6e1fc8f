"""OICP 2.3 identifier formats (oicp-bridge.md §6) and the canonical keys the simulated hub
compares them by: upper-case, separators dropped for ISO forms (`DE*ABC` and `deabc` are the
same operator); DIN forms (`+49*536`) keep their shape because their parts have no fixed width."""

from __future__ import annotations

import re
import uuid

__all__ = [
    "EVCO_ID",
    "EVSE_ID",
    "OPERATOR_ID",
    "PROVIDER_ID",
    "SESSION_ID",
    "UID",
    "canonical",
    "new_session_id",
    "operator_of_evse",
    "provider_of_evco",
]

OPERATOR_ID = re.compile(r"^(([A-Za-z]{2}\*?[A-Za-z0-9]{3})|(\+?[0-9]{1,3}\*[0-9]{3}))$")
PROVIDER_ID = re.compile(r"^([A-Za-z]{2}\-?[A-Za-z0-9]{3}|[A-Za-z]{2}[\*|-]?[A-Za-z0-9]{3})$")
# the asciidoc allows upper case only, the OpenAPI file both cases (§4.12): accept both
EVSE_ID = re.compile(
    r"^(([A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?E[A-Za-z0-9\*]{1,30})|(\+?[0-9]{1,3}\*[0-9]{3}\*[0-9\*]{1,32}))$"
)
EVCO_ID = re.compile(
    r"^(([A-Za-z]{2}\-?[A-Za-z0-9]{3}\-?C[A-Za-z0-9]{8}\-?[\d|A-Za-z])"
    r"|([A-Za-z]{2}[\*|\-]?[A-Za-z0-9]{3}[\*|\-]?[A-Za-z0-9]{6}[\*|\-]?[\d|X]))$"
)
SESSION_ID = re.compile(r"^[A-Za-z0-9]{8}(-[A-Za-z0-9]{4}){3}-[A-Za-z0-9]{12}$")
UID = re.compile(r"^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$")
_DIN = re.compile(r"^\+?([0-9]{1,3})\*([0-9]{3})(\*.*)?$")


def canonical(identifier: str) -> str:
    """Comparison key of an Operator/Provider/EVSE/EVCO ID."""
    din = _DIN.match(identifier)
    if din:
        return f"+{din.group(1)}*{din.group(2)}{din.group(3) or ''}"
    return identifier.upper().replace("*", "").replace("-", "")


def operator_of_evse(evse_id: str) -> str:
    """Canonical OperatorID an EvseID belongs to (its eMI3 prefix)."""
    din = _DIN.match(evse_id)
    if din:
        return f"+{din.group(1)}*{din.group(2)}"
    return canonical(evse_id)[:5]


def provider_of_evco(evco_id: str) -> str:
    """Canonical ProviderID an EvcoID belongs to (its eMI3 prefix)."""
    return canonical(evco_id)[:5]


def new_session_id() -> str:
    """A Hubject-style SessionID (a GUID)."""
    return str(uuid.uuid4())
