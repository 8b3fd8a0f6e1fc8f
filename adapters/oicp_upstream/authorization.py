"""tokens SENDER POST {uid}/authorize: real-time authorization by our CPO of a token of an eMSP
behind HBS -> eRoamingAuthorizeStart (oicp-bridge.md §7.5).

EvseID: of `location.evse_uids[0]` (the hub's store of our CPO's Location; `evse_uid` itself when
it is an EvseID), omitted when unknown or when the request has no LocationReferences. The answer
becomes AuthorizationInfo with `authorization_reference` = HBS SessionID: our CPO must put it in
the Session and the CDR (OICP CDRs and notifications need it). The SessionID -> EvseID pair is kept
for later commands. HBS codes that are no authorization outcome (300, 310, 320, ...) become the
OCPI error (4001, 4002, 4003...).
"""

from __future__ import annotations

import uuid

from adapters.oicp.mapping import authorization_info_from_authorize_start_response, authorize_start_from_ocpi
from adapters.oicp.models import AuthorizationStart
from adapters.oicp_upstream import replies
from adapters.oicp_upstream.job import Job
from hub.errors import OcpiError
from hub.forwarding.contract import UpstreamResponse

__all__ = ["authorize"]


async def authorize(job: Job) -> UpstreamResponse:
    context = job.context
    uid = context.path[-2]
    token_type = dict(context.query).get("type") or "RFID"
    references = context.parsed if isinstance(context.parsed, dict) else None
    evse_id = None
    if references is not None:
        evse_uids = references.get("evse_uids") or []
        first = evse_uids[0] if isinstance(evse_uids, list) and evse_uids else None
        evse_id, _ = await job.evse_id(job.partners.sender, references.get("location_id"), first)
    operator = job.partners.our_operator_id()
    message = authorize_start_from_ocpi(
        uid,
        token_type,
        operator_id=operator,
        evse_id=evse_id,
        cpo_partner_session_id=str(uuid.uuid4()),
        contract_id=None if token_type == "RFID" else uid,
    )
    answer = job.parse(AuthorizationStart, await job.call("eRoamingAuthorizeStart", message, operator=operator))
    try:
        info = authorization_info_from_authorize_start_response(
            answer,
            token_uid=uid,
            token_type=token_type,
            owner_if_unknown=job.partners.receiver,
            now=job.now,
            location=references,
        )
    except OcpiError as error:
        return replies.from_error(error, elapsed_ms=job.elapsed_ms)
    if answer.session_id and evse_id:
        job.correlation.sessions.put(answer.session_id.lower(), evse_id)
    return replies.ok(info, elapsed_ms=job.elapsed_ms)
