"""sessions RECEIVER PUT / PATCH from our CPO -> eRoamingChargingNotifications (oicp-bridge.md §7.7).

Choices:
- only sessions that started through HBS can be told: `authorization_reference` must be the HBS
  SessionID (from our real-time authorization or HBS's remote start); otherwise 2001 naming
  `authorization_reference` (the eMSP behind HBS could not tell the session from any other);
- the notification is chosen by `notification_kind` from the session before and after: first
  ACTIVE (or kwh > 0) Start, later kwh changes Progress, COMPLETED End, INVALID Error; an update
  that calls for none (a PUT repeating the state) is answered 1000 without a call, and so is a
  Progress less than 5 minutes (by `last_updated`) after the previous one (OICP asks for at least
  5 minutes between Progress notifications; the next one carries the energy anyway);
- a PATCH is applied to the session as last seen by this process; without it (a restart, a
  session never PUT) 2001 "PUT the whole Session" - OICP notifications need the start time, the
  token and the EVSE;
- EvseID from the hub's store of our CPO's Location (`location_id` / `evse_uid`), else `evse_uid`
  when it is an EvseID; times at the Location's `time_zone`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.mapping import charging_notification_from_session, notification_kind
from adapters.oicp.models import Acknowledgement
from adapters.oicp.timefmt import parse_ocpi_time
from adapters.oicp_upstream import replies
from adapters.oicp_upstream.correlation import NotifiedSession
from adapters.oicp_upstream.job import Job
from hub.forwarding.contract import UpstreamResponse
from hub.types import PartyKey

__all__ = ["PROGRESS_GAP", "push_session"]

PROGRESS_GAP = timedelta(minutes=5)
Json = dict[str, Any]


async def push_session(job: Job) -> UpstreamResponse:
    path, body = job.context.path, job.body
    if len(path) != 3:
        raise Unmappable("session_id", "OICP takes Sessions one by one")
    owner = PartyKey.of(path[0], path[1])
    key = (job.platform, owner.country_code, owner.party_id, path[2])
    seen = job.correlation.notified.get(key)
    previous = seen.session if seen else None
    if job.request.method == "PATCH":
        if previous is None:
            raise Unmappable("Session", f"the hub has not seen session {path[2]}: PUT the whole Session first")
        session = {**previous, **body}
    else:
        session = {**body, "id": body.get("id") or path[2]}
    reference = session.get("authorization_reference")
    if not isinstance(reference, str) or not reference:
        raise Unmappable("authorization_reference", "no HBS SessionID: the session did not start through OICP")
    session_id = ids.session_id(reference, "authorization_reference")
    kind = notification_kind(session, previous)
    last_progress = seen.last_progress if seen else None
    if kind == "Progress" and last_progress is not None:
        gap = parse_ocpi_time(session.get("last_updated"), "last_updated") - parse_ocpi_time(
            last_progress, "last_updated"
        )
        if gap < PROGRESS_GAP:
            kind = None
    if kind is None:
        job.correlation.notified.put(key, NotifiedSession(session, last_progress))
        return replies.ok()
    evse_id, location = await job.evse_id(owner, session.get("location_id"), session.get("evse_uid"))
    if evse_id is None:
        raise Unmappable("evse_uid", f"the hub does not know the EvseID of EVSE {session.get('evse_uid')!r}")
    operator = job.partners.our_operator_id()
    message = charging_notification_from_session(
        session,
        kind,
        session_id=session_id,
        evse_id=evse_id,
        operator_id=operator,
        time_zone=(location or {}).get("time_zone") or job.option("time_zone"),
    )
    ack = job.parse(Acknowledgement, await job.call("eRoamingChargingNotifications", message))
    if not ack.result:
        return replies.from_status(ack.status_code, elapsed_ms=job.elapsed_ms)
    progress = str(session.get("last_updated")) if kind == "Progress" else last_progress
    job.correlation.notified.put(key, NotifiedSession(session, progress))
    job.correlation.sessions.put(session_id.lower(), evse_id)
    return replies.ok(elapsed_ms=job.elapsed_ms)
