"""What differs between the OCPI editions a simulated party speaks (2.1.1, 2.2.1, 2.3.0), for the
objects a party creates at run time: Sessions, CDRs, AuthorizationInfo, command answers and
results. The generated data (locations, tariffs, tokens) is in `simulators.data`, prices in
`simulators.pricing`.

Written from each edition's spec text, not from the hub's translation (`hub.translation`): the
end-to-end tests compare the hub's translation against parties written independently.

- 2.1.1 (mod_sessions.md, mod_cdrs.md, mod_tokens.md, mod_commands.md): Session
  `start_datetime`/`end_datetime`, `auth_id`, an embedded `location` holding only the EVSE and
  connector used, `total_cost` a number (excl. VAT); CDR `stop_date_time`, `auth_id`, `location`,
  costs as numbers; AuthMethod AUTH_REQUEST or WHITELIST (no COMMAND); AuthorizationInfo
  {allowed, location?, info?}; the POST answer and the asynchronous result are both
  CommandResponse {result} (NOT_SUPPORTED, REJECTED, ACCEPTED, TIMEOUT, UNKNOWN_SESSION).
- 2.2.1: CdrToken, CdrLocation, Price {excl_vat, incl_vat}; CommandResponse {result, timeout},
  CommandResult {result}.
- 2.3.0: the 2.2.1 shapes with Price {before_taxes, taxes}.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.types import PartyKey
from simulators.data import VERSIONS, check_version, stamp
from simulators.pricing import Costs, price_object

__all__ = [
    "VERSIONS",
    "authorization_info",
    "cdr_object",
    "charging_period",
    "check_version",
    "command_response",
    "command_result",
    "end_field",
    "session_object",
    "start_field",
    "token_owner",
]

Obj = dict[str, Any]

# 2.2.1 CommandResultType values 2.1.1 does not have, and what a 2.1.1 CPO says instead
_RESULTS_211 = {"EVSE_OCCUPIED": "REJECTED", "EVSE_INOPERATIVE": "REJECTED", "FAILED": "REJECTED"}
_RESPONSES_211 = {"ACCEPTED", "NOT_SUPPORTED", "REJECTED", "TIMEOUT", "UNKNOWN_SESSION"}


def start_field(version: str) -> str:
    """The Session's start time field."""
    return "start_datetime" if version == "2.1.1" else "start_date_time"


def end_field(version: str) -> str:
    """The Session's end time field."""
    return "end_datetime" if version == "2.1.1" else "end_date_time"


def token_owner(token: Obj) -> PartyKey | None:
    """The eMSP of a 2.2+ Token (None for a 2.1.1 token: it names no party)."""
    if isinstance(token.get("country_code"), str) and isinstance(token.get("party_id"), str):
        return PartyKey.of(token["country_code"], token["party_id"])
    return None


def command_response(version: str, result: str, timeout: int = 30) -> Obj:
    """The CPO's answer to a command POST (2.1.1: no timeout; 2.1.1 has no EVSE_OCCUPIED ...)."""
    if version == "2.1.1":
        return {"result": result if result in _RESPONSES_211 else "REJECTED"}
    return {"result": result, "timeout": timeout}


def command_result(version: str, result: str) -> Obj:
    """The asynchronous result POSTed to the response_url (2.1.1: a CommandResponse)."""
    if version == "2.1.1":
        return {"result": _RESULTS_211.get(result, result if result in _RESPONSES_211 else "REJECTED")}
    return {"result": result}


def authorization_info(
    version: str, *, token: Obj, allowed: str, location: Obj | None = None, reference: str | None = None
) -> Obj:
    """AuthorizationInfo for a real-time authorization (2.1.1: no token, no reference)."""
    info: Obj = {"allowed": allowed}
    if version != "2.1.1":
        info["token"] = token
        if reference is not None:
            info["authorization_reference"] = reference
    if location is not None:
        info["location"] = location
    return info


def _location_211(location: Obj, evse: Obj, connector: Obj) -> Obj:
    """A 2.1.1 Location holding only the EVSE and connector of a session (mod_sessions.md 3.1)."""
    return {**location, "evses": [{**evse, "connectors": [connector]}]}


def _cdr_token(token: Obj) -> Obj:
    return {
        "country_code": token["country_code"],
        "party_id": token["party_id"],
        "uid": token["uid"],
        "type": token["type"],
        "contract_id": token["contract_id"],
    }


def session_object(
    version: str,
    *,
    party: PartyKey,
    session_id: str,
    started: str,
    token: Obj,
    auth_method: str,
    location: Obj,
    evse: Obj,
    connector: Obj,
    currency: str,
    authorization_reference: str | None = None,
) -> Obj:
    """A new ACTIVE Session (no energy yet) in the edition's shape."""
    check_version(version)
    zero = price_object((0.0, 0.0), version)
    if version == "2.1.1":
        return {
            "id": session_id,
            "start_datetime": started,
            "kwh": 0.0,
            "auth_id": str(token.get("auth_id") or token.get("contract_id") or token["uid"]),
            "auth_method": "WHITELIST" if auth_method == "WHITELIST" else "AUTH_REQUEST",
            "location": _location_211(location, evse, connector),
            "currency": currency,
            "charging_periods": [],
            "total_cost": zero,
            "status": "ACTIVE",
            "last_updated": started,
        }
    session: Obj = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": session_id,
        "start_date_time": started,
        "kwh": 0.0,
        "cdr_token": _cdr_token(token),
        "auth_method": auth_method,
        "location_id": location["id"],
        "evse_uid": evse["uid"],
        "connector_id": connector["id"],
        "currency": currency,
        "charging_periods": [],
        "total_cost": zero,
        "status": "ACTIVE",
        "last_updated": started,
    }
    if authorization_reference:
        session["authorization_reference"] = authorization_reference
    return session


def charging_period(version: str, *, start: str, kwh: float, hours: float, tariff_id: str | None) -> Obj:
    """One ChargingPeriod: ENERGY and TIME (2.1.1 periods name no tariff)."""
    period: Obj = {
        "start_date_time": start,
        "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": round(hours, 6)}],
    }
    if tariff_id is not None and version != "2.1.1":
        period["tariff_id"] = tariff_id
    return period


def cdr_object(
    version: str,
    *,
    session: Obj,
    location: Obj,
    evse: Obj,
    connector: Obj,
    end: str,
    costs: Costs,
    total_hours: float,
    tariffs: Sequence[Obj],
) -> Obj:
    """The CDR of a finished session, in the edition's shape."""
    check_version(version)
    if version == "2.1.1":
        cdr: Obj = {
            "id": f"{session['id']}-CDR",
            "start_date_time": session["start_datetime"],
            "stop_date_time": end,
            "auth_id": session["auth_id"],
            "auth_method": session["auth_method"],
            "location": _location_211(location, evse, connector),
            "currency": session["currency"],
            "charging_periods": session["charging_periods"],
            "total_cost": price_object(costs.total, version),
            "total_energy": session["kwh"],
            "total_time": round(total_hours, 6),
            "last_updated": stamp(),
        }
        if tariffs:
            cdr["tariffs"] = list(tariffs)
        return cdr
    cdr_location = {
        "id": location["id"],
        "name": location.get("name"),
        "address": location["address"],
        "city": location["city"],
        "postal_code": location.get("postal_code"),
        "country": location["country"],
        "coordinates": location["coordinates"],
        "evse_uid": evse["uid"],
        "evse_id": evse.get("evse_id") or evse["uid"],
        "connector_id": connector["id"],
        "connector_standard": connector["standard"],
        "connector_format": connector["format"],
        "connector_power_type": connector["power_type"],
    }
    cdr = {
        "country_code": session["country_code"],
        "party_id": session["party_id"],
        "id": f"{session['id']}-CDR",
        "start_date_time": session["start_date_time"],
        "end_date_time": end,
        "session_id": session["id"],
        "cdr_token": session["cdr_token"],
        "auth_method": session["auth_method"],
        "cdr_location": {k: v for k, v in cdr_location.items() if v is not None},
        "currency": session["currency"],
        "charging_periods": session["charging_periods"],
        "total_cost": price_object(costs.total, version),
        "total_fixed_cost": price_object(costs.fixed, version),
        "total_energy": session["kwh"],
        "total_energy_cost": price_object(costs.energy, version),
        "total_time": round(total_hours, 6),
        "total_time_cost": price_object(costs.time, version),
        "last_updated": stamp(),
    }
    if "authorization_reference" in session:
        cdr["authorization_reference"] = session["authorization_reference"]
    if tariffs:
        cdr["tariffs"] = list(tariffs)
    return cdr
