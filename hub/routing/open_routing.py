"""Open Routing (transport_and_format.asciidoc 460-473): no OCPI-to headers, so the hub finds
the receiver from the request itself. Pure: says what to look up, not the answer.

- tokens SENDER `POST /{uid}/authorize`: the eMSP that owns the token (mirror)
- locations SENDER `GET /{location_id}[/...]`: the CPO that owns the location (mirror)
- sessions SENDER `PUT /{session_id}/charging_preferences`, chargingprofiles RECEIVER
  `/{session_id}`: the CPO of the session (mirror)
- commands RECEIVER `POST /{command}`: the CPO of `location_id` or of `session_id` in the body
- anywhere: an eMI3 `evse_id` (`NL*CPA*E123`) names its CPO, a `contract_id` (`NL-EMS-C123...`) its eMSP
GET All (a list GET) is never open-routed (2001, checklist E.56).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hub.ocpi.request import OcpiRequest
from hub.types import InterfaceRole, PartyKey

__all__ = ["Lookup", "emi3_party", "lookup_for"]

# eMI3 EVSE id (`NL*CPA*E123`) or EMAID (`NL-EMS-C12345678-X`): separators optional, then the
# id type letter (E for an EVSE, C for a contract) and at least a few characters.
_EMI3 = re.compile(r"^([A-Za-z]{2})[*-]?([A-Za-z0-9]{3})[*-]?[EeCc][A-Za-z0-9*-]{3,}$")


@dataclass(frozen=True, slots=True)
class Lookup:
    """Find the owner of `object_id` in the mirror's `module`, or take `party` as it is."""

    module: str | None = None
    object_id: str | None = None
    party: PartyKey | None = None


def emi3_party(value: Any) -> PartyKey | None:
    """The party an eMI3 EVSE id or contract id starts with (`NL*CPA*...`, `NL-EMS-...`)."""
    if not isinstance(value, str):
        return None
    match = _EMI3.match(value.strip())
    return PartyKey.of(match.group(1), match.group(2)) if match else None


def lookup_for(request: OcpiRequest) -> Lookup | None:
    path, module = request.path, request.module
    sender = request.interface is InterfaceRole.SENDER
    if module == "tokens" and sender and request.method == "POST" and path.get("token_uid"):
        return Lookup(module="tokens", object_id=path.get("token_uid"))
    if module == "locations" and sender and request.method == "GET" and path.get("location_id"):
        return Lookup(module="locations", object_id=path.get("location_id"))
    preferences = module == "sessions" and sender and path.get("charging_preferences") is not None
    if (preferences or (module == "chargingprofiles" and not sender)) and path.get("session_id"):
        return Lookup(module="sessions", object_id=path.get("session_id"))
    body = request.parsed
    if isinstance(body, dict):
        if module == "commands" and not sender:
            if isinstance(body.get("location_id"), str):
                return Lookup(module="locations", object_id=body["location_id"])
            if isinstance(body.get("session_id"), str):
                return Lookup(module="sessions", object_id=body["session_id"])
        for field in ("evse_id", "contract_id"):
            party = emi3_party(body.get(field))
            if party is not None:
                return Lookup(party=party)
    return None
