"""OCPI Commands <-> OICP remote start/stop and reservations (oicp-bridge.md §7.6).

OCPI answers a command in two steps (CommandResponse now, CommandResult later at response_url);
OICP answers synchronously with one Acknowledgement. `command_response_from_ack` and
`command_result_from_ack` split an Acknowledgement into the two OCPI answers;
`acknowledgement_from_command` folds them back into one for HBS.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import (
    Acknowledgement,
    AuthorizeRemoteReservationStart,
    AuthorizeRemoteReservationStop,
    AuthorizeRemoteStart,
    AuthorizeRemoteStop,
    StatusCode,
)
from adapters.oicp.status import (
    OicpCode,
    ocpi_error,
    ocpi_outcome,
    oicp_code_for_command_response,
    oicp_code_for_command_result,
)
from adapters.oicp.timefmt import ocpi_time, parse_ocpi_time
from adapters.oicp.tokens import identification_from_token, token_from_identification

__all__ = [
    "acknowledgement",
    "acknowledgement_from_command",
    "cancel_reservation_from_reservation_stop",
    "command_response_from_ack",
    "command_result_from_ack",
    "ensure_command_supported",
    "remote_start_from_command",
    "remote_stop_from_command",
    "reservation_start_from_command",
    "reservation_stop_from_command",
    "reserve_now_from_reservation_start",
    "start_session_from_remote_start",
    "stop_session_from_remote_stop",
]

Json = dict[str, Any]
_SUPPORTED = {"START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION"}


def ensure_command_supported(command: str) -> None:
    """Raises Unmappable for OCPI commands OICP has no operation for (UNLOCK_CONNECTOR)."""
    if command not in _SUPPORTED:
        raise Unmappable("command", f"{command} has no OICP operation")


def remote_start_from_command(command: Json, *, provider_id: str, evse_id: str | None) -> AuthorizeRemoteStart:
    """OCPI START_SESSION of our eMSP as AuthorizeRemoteStart (SessionID left for HBS to create).

    `evse_id` is the EvseID of `evse_uid` (or of the Location's only EVSE) looked up by the caller.
    Raises Unmappable: no EVSE (`evse_uid`: OICP needs an EvseID), token.contract_id not an EvcoID.
    Lost: `connector_id`, `response_url` (kept by the hub), token fields other than contract_id.
    """
    if not evse_id:
        raise Unmappable("evse_uid", "OICP remote start needs one EVSE and the command names none")
    token = dict(command.get("token") or {}) | {"type": "APP_USER"}  # remote start always uses the EvcoID
    return AuthorizeRemoteStart(
        provider_id=ids.provider_id(provider_id),
        evse_id=ids.evse_id(evse_id, "evse_uid"),
        identification=identification_from_token(token),
        emp_partner_session_id=command.get("authorization_reference"),
    )


def start_session_from_remote_start(
    request: AuthorizeRemoteStart,
    *,
    location_id: str,
    evse_uid: str,
    connector_id: str | None,
    response_url: str,
    now: datetime,
) -> Json:
    """HBS's AuthorizeRemoteStart as OCPI START_SESSION to our CPO (authorization_reference = SessionID).

    The token is synthesized from the EvcoID (APP_USER, whitelist NEVER, owner from the EvcoID
    prefix, issuer = ProviderID). `connector_id` only when the EVSE has a single connector.
    Raises Unmappable for a missing SessionID or a non-remote identification. Lost: PartnerProductID,
    CPO/EMPPartnerSessionID (kept in the hub's correlation).
    """
    if not request.session_id:
        raise Unmappable("SessionID", "a remote start from HBS must carry the SessionID")
    token = token_from_identification(request.identification, provider_id=request.provider_id, last_updated=now)
    command: Json = {
        "response_url": response_url,
        "token": token,
        "location_id": location_id,
        "evse_uid": evse_uid,
        "authorization_reference": ids.session_id(request.session_id),
    }
    if connector_id is not None:
        command["connector_id"] = connector_id
    return command


def remote_stop_from_command(command: Json, *, session_id: str, provider_id: str, evse_id: str) -> AuthorizeRemoteStop:
    """OCPI STOP_SESSION as AuthorizeRemoteStop; SessionID/EvseID come from the session correlation."""
    return AuthorizeRemoteStop(
        session_id=ids.session_id(session_id),
        provider_id=ids.provider_id(provider_id),
        evse_id=ids.evse_id(evse_id),
        emp_partner_session_id=command.get("session_id"),
    )


def stop_session_from_remote_stop(request: AuthorizeRemoteStop, *, session_id: str | None, response_url: str) -> Json:
    """HBS's AuthorizeRemoteStop as OCPI STOP_SESSION; `session_id` is the correlated OCPI Session.id.
    Raises Unmappable when no OCPI session exists yet (answer HBS with 400)."""
    if not session_id:
        raise Unmappable("SessionID", f"no OCPI session is correlated to {request.session_id}")
    return {"response_url": response_url, "session_id": session_id}


def reservation_start_from_command(
    command: Json, *, provider_id: str, evse_id: str | None, now: datetime
) -> AuthorizeRemoteReservationStart:
    """OCPI RESERVE_NOW as AuthorizeRemoteReservationStart (EMPPartnerSessionID = reservation_id).

    Duration = minutes until expiry_date, clamped to OICP's 1-99 (a longer reservation is cut
    short - the only loss besides `response_url` and `authorization_reference`). Raises Unmappable
    without EVSE or with an expiry date in the past.
    """
    if not evse_id:
        raise Unmappable("evse_uid", "OICP reservations need one EVSE and the command names none")
    expiry = parse_ocpi_time(command.get("expiry_date"), "expiry_date")
    minutes = math.ceil((expiry - now).total_seconds() / 60)
    if minutes < 1:
        raise Unmappable("expiry_date", "already expired")
    token = dict(command.get("token") or {}) | {"type": "APP_USER"}
    return AuthorizeRemoteReservationStart(
        provider_id=ids.provider_id(provider_id),
        evse_id=ids.evse_id(evse_id, "evse_uid"),
        identification=identification_from_token(token),
        emp_partner_session_id=str(command.get("reservation_id")),
        duration=min(minutes, 99),
    )


def reserve_now_from_reservation_start(
    request: AuthorizeRemoteReservationStart,
    *,
    location_id: str,
    evse_uid: str,
    response_url: str,
    now: datetime,
    default_minutes: int = 15,
) -> Json:
    """HBS's AuthorizeRemoteReservationStart as OCPI RESERVE_NOW (reservation_id = SessionID;
    expiry = now + Duration, `default_minutes` when HBS sent none). Raises Unmappable without SessionID."""
    if not request.session_id:
        raise Unmappable("SessionID", "a reservation from HBS must carry the SessionID")
    session_id = ids.session_id(request.session_id)
    token = token_from_identification(request.identification, provider_id=request.provider_id, last_updated=now)
    expiry = now + timedelta(minutes=request.duration or default_minutes)
    return {
        "response_url": response_url,
        "token": token,
        "expiry_date": ocpi_time(expiry),
        "reservation_id": session_id,
        "location_id": location_id,
        "evse_uid": evse_uid,
        "authorization_reference": session_id,
    }


def reservation_stop_from_command(
    command: Json, *, session_id: str, provider_id: str, evse_id: str
) -> AuthorizeRemoteReservationStop:
    """OCPI CANCEL_RESERVATION as AuthorizeRemoteReservationStop (SessionID correlated to reservation_id)."""
    return AuthorizeRemoteReservationStop(
        session_id=ids.session_id(session_id),
        provider_id=ids.provider_id(provider_id),
        evse_id=ids.evse_id(evse_id),
        emp_partner_session_id=command.get("reservation_id"),
    )


def cancel_reservation_from_reservation_stop(request: AuthorizeRemoteReservationStop, *, response_url: str) -> Json:
    """HBS's AuthorizeRemoteReservationStop as OCPI CANCEL_RESERVATION (reservation_id = SessionID)."""
    return {"response_url": response_url, "reservation_id": ids.session_id(request.session_id)}


def _message(ack: Acknowledgement) -> list[Json]:
    text = ack.status_code.description or f"OICP status {ack.status_code.code}"
    return [{"language": "en", "text": text[:512]}]


def command_response_from_ack(ack: Acknowledgement, *, timeout: int) -> Json:
    """The OCPI CommandResponse for HBS's Acknowledgement of a remote command.

    Result true -> ACCEPTED. Result false -> per the StatusCode: 400 UNKNOWN_SESSION, 604
    NOT_SUPPORTED, an EVSE failure (501/510/601/602/700) ACCEPTED followed by a failed CommandResult,
    refusals REJECTED. Raises the hub's OcpiError for codes that are errors in OCPI (603 -> 2003,
    300 -> 4001, 310 -> 4002, system errors -> 3000, ...).
    """
    if ack.result:
        return {"result": "ACCEPTED", "timeout": timeout}
    outcome = ocpi_outcome(ack.status_code.code)
    if outcome.command_response is None:
        error = ocpi_error(ack.status_code.code, ack.status_code.description)
        if error is not None:
            raise error
    return {"result": outcome.command_response or "REJECTED", "timeout": timeout, "message": _message(ack)}


def command_result_from_ack(ack: Acknowledgement) -> Json | None:
    """The OCPI CommandResult to post to response_url, or None when the CommandResponse already
    told the outcome (it was not ACCEPTED)."""
    if ack.result:
        return {"result": "ACCEPTED"}
    outcome = ocpi_outcome(ack.status_code.code)
    if outcome.command_response != "ACCEPTED" or outcome.command_result is None:
        return None
    return {"result": outcome.command_result, "message": _message(ack)}


def acknowledgement(
    code: OicpCode | str,
    *,
    description: str | None = None,
    session_id: str | None = None,
    cpo_partner_session_id: str | None = None,
    emp_partner_session_id: str | None = None,
) -> Acknowledgement:
    """An eRoamingAcknowledgement; Result is true exactly for `000`."""
    return Acknowledgement(
        result=str(code) == OicpCode.SUCCESS,
        status_code=StatusCode(code=str(code), description=description[:200] if description else None),
        session_id=session_id,
        cpo_partner_session_id=cpo_partner_session_id,
        emp_partner_session_id=emp_partner_session_id,
    )


def acknowledgement_from_command(
    response: Json | None,
    result: Json | None,
    *,
    session_id: str | None,
    reservation: bool = False,
    cpo_partner_session_id: str | None = None,
) -> Acknowledgement:
    """The one synchronous answer to HBS for an OCPI command: from the CommandResult when it came
    within the budget, else from the CommandResponse (ACCEPTED counts as success; no response at
    all = 310, partner did not respond). OCPI message texts are lost except the first, as Description."""
    chosen = result or response
    if chosen is None:
        return acknowledgement(OicpCode.PARTNER_NO_RESPONSE, session_id=session_id)
    if result is not None:
        code = oicp_code_for_command_result(str(result.get("result")), reservation=reservation)
    else:
        code = oicp_code_for_command_response(str(chosen.get("result")), reservation=reservation)
    messages = chosen.get("message") or []
    return acknowledgement(
        code,
        description=messages[0].get("text") if messages and code != OicpCode.SUCCESS else None,
        session_id=session_id,
        cpo_partner_session_id=cpo_partner_session_id,
    )
