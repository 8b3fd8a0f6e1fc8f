"""commands RECEIVER POST {command}: our eMSP -> a CPO behind HBS (oicp-bridge.md §7.6).

START_SESSION -> eRoamingAuthorizeRemoteStart, STOP_SESSION -> eRoamingAuthorizeRemoteStop,
RESERVE_NOW / CANCEL_RESERVATION -> eRoamingAuthorizeRemoteReservationStart / Stop. Other commands
(UNLOCK_CONNECTOR) are answered NOT_SUPPORTED here, without a call. The CommandResponse comes from
HBS's acknowledgement (`command_response_from_ack`); its `timeout` is the option `command_timeout`
(seconds, default 30).

EvseID: the stored EVSE's `evse_id` (the hub's store of the CPO's Location), else `evse_uid`
itself when it is an EvseID (EVSEs learnt from OICP have their canonical EvseID as uid); it must
be one of the receiving CPO's (route `upstream_ids`), else 2001. SessionID for STOP_SESSION: the
OCPI `session_id` (a Hubject CPO's session is known by its SessionID); its EvseID from the
adapter's correlation of remote starts and authorizations.

GAP: the asynchronous CommandResult to the eMSP's `response_url` is not sent: HBS's answer is
synchronous and the CommandResponse already carries it (ACCEPTED = HBS and the CPO accepted); a
failure HBS reports with an EVSE code (501, 510, 602, 700) gives CommandResponse ACCEPTED and the
CommandResult (`command_result_from_ack`) that should follow is lost until the hub posts it.
"""

from __future__ import annotations

from pydantic import BaseModel

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.mapping import (
    command_response_from_ack,
    ensure_command_supported,
    remote_start_from_command,
    remote_stop_from_command,
    reservation_start_from_command,
    reservation_stop_from_command,
)
from adapters.oicp.models import Acknowledgement
from adapters.oicp_upstream import replies
from adapters.oicp_upstream.job import Job
from hub.errors import OcpiError
from hub.forwarding.contract import UpstreamResponse

__all__ = ["send_command"]


async def send_command(job: Job) -> UpstreamResponse:
    command = job.context.path[0].upper() if job.context.path else ""
    try:
        ensure_command_supported(command)
    except Unmappable:
        return replies.ok({"result": "NOT_SUPPORTED", "timeout": 0})
    body = job.body
    partners = job.partners
    provider = partners.our_provider_id()
    if command == "START_SESSION":
        evse_id = await _evse_id(job, body)
        message: BaseModel = remote_start_from_command(body, provider_id=provider, evse_id=evse_id)
        operation = "eRoamingAuthorizeRemoteStart"
    elif command == "RESERVE_NOW":
        evse_id = await _evse_id(job, body)
        message = reservation_start_from_command(body, provider_id=provider, evse_id=evse_id, now=job.now)
        operation = "eRoamingAuthorizeRemoteReservationStart"
    elif command == "STOP_SESSION":
        session_id = ids.session_id(str(body.get("session_id") or ""), "session_id")
        evse_id = job.correlation.sessions.get(session_id.lower())
        if evse_id is None:
            raise Unmappable("session_id", f"the hub knows no EVSE of session {session_id} (not started through it)")
        message = remote_stop_from_command(body, session_id=session_id, provider_id=provider, evse_id=evse_id)
        operation = "eRoamingAuthorizeRemoteStop"
    else:  # CANCEL_RESERVATION
        reservation_id = str(body.get("reservation_id") or "")
        known = job.correlation.reservations.get((job.platform, reservation_id))
        if known is None:
            raise Unmappable("reservation_id", f"the hub knows no OICP reservation {reservation_id!r}")
        session_id, evse_id = known
        message = reservation_stop_from_command(body, session_id=session_id, provider_id=provider, evse_id=evse_id)
        operation = "eRoamingAuthorizeRemoteReservationStop"
    ack = job.parse(Acknowledgement, await job.call(operation, message, provider=provider))
    if ack.result and ack.session_id and evse_id:
        job.correlation.sessions.put(ack.session_id.lower(), evse_id)
        if command == "RESERVE_NOW":
            job.correlation.reservations.put((job.platform, str(body.get("reservation_id"))), (ack.session_id, evse_id))
    try:
        data = command_response_from_ack(ack, timeout=int(job.option("command_timeout", 30)))
    except OcpiError as error:
        return replies.from_error(error, elapsed_ms=job.elapsed_ms)
    return replies.ok(data, elapsed_ms=job.elapsed_ms)


async def _evse_id(job: Job, body: dict[str, object]) -> str | None:
    evse_id, location = await job.evse_id(job.partners.receiver, body.get("location_id"), body.get("evse_uid"))
    if evse_id is None and not body.get("evse_uid") and location is not None:
        evses = [e for e in location.get("evses") or [] if e.get("evse_id")]
        if len(evses) == 1:  # the Location's only EVSE (oicp-bridge.md §7.6)
            evse_id = ids.evse_id(str(evses[0]["evse_id"]))
    if evse_id is None and body.get("evse_uid"):
        raise Unmappable("evse_uid", f"{body['evse_uid']!r} is no EvseID and the hub does not know its EVSE")
    if evse_id is not None:
        job.partners.check_receiver_evse(evse_id, "evse_uid")
    return evse_id
