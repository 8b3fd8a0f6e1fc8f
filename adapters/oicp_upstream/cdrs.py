"""cdrs RECEIVER POST from our CPO -> eRoamingChargeDetailRecord (oicp-bridge.md §7.8).

SessionID = `authorization_reference` (no SessionID: 2001, the session did not start through
HBS); EvseID = `cdr_location.evse_id`; times at the Location's time zone (the hub's store of our
CPO's Location `cdr_location.id`, else the option `time_zone`, else UTC). HubOperatorID = our
OperatorID. Every cost field is lost (OICP CDRs carry no prices). HBS answers positively once the
CDR is stored, even when the EMP is unreachable; a second CDR for one SessionID is refused (022 ->
2001), so the send path never re-sends a CDR POST after a timeout or a 5xx.
"""

from __future__ import annotations

from adapters.oicp.mapping import cdr_to_oicp
from adapters.oicp.models import Acknowledgement
from adapters.oicp_upstream import replies
from adapters.oicp_upstream.job import Job
from hub.forwarding.contract import UpstreamResponse
from hub.types import PartyKey

__all__ = ["post_cdr"]


async def post_cdr(job: Job) -> UpstreamResponse:
    cdr = job.body
    owner = PartyKey.of(
        str(cdr.get("country_code") or job.context.sender[0]), str(cdr.get("party_id") or job.context.sender[1])
    )
    location = await job.location(owner, (cdr.get("cdr_location") or {}).get("id"))
    operator = job.partners.our_operator_id()
    message = cdr_to_oicp(
        cdr,
        time_zone=(location or {}).get("time_zone") or job.option("time_zone"),
        hub_operator_id=operator,
    )
    ack = job.parse(Acknowledgement, await job.call("eRoamingChargeDetailRecord", message, operator=operator))
    if not ack.result:
        return replies.from_status(ack.status_code, elapsed_ms=job.elapsed_ms)
    return replies.ok(elapsed_ms=job.elapsed_ms)
