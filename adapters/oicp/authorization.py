"""OCPI real-time authorization <-> OICP AuthorizeStart / AuthorizeStop (oicp-bridge.md §7.5).

Our CPO asks a Hubject EMP: OCPI `POST tokens/{uid}/authorize` -> AuthorizeStart, and the
AuthorizationStart answer -> OCPI AuthorizationInfo. A Hubject CPO asks our eMSP: AuthorizeStart
-> OCPI authorize request (`identification_uid` / `identification_evco_id` find the token), and
the eMSP's AuthorizationInfo -> AuthorizationStart. OICP AuthorizeStop has no OCPI message: the
hub decides it locally (`authorization_stop`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import (
    AuthorizationStart,
    AuthorizationStop,
    AuthorizeStart,
    AuthorizeStop,
    Identification,
    StatusCode,
)
from adapters.oicp.status import OicpCode, ocpi_error, ocpi_outcome, oicp_code_for_allowed
from adapters.oicp.timefmt import ocpi_time
from adapters.oicp.tokens import identification_evco_id, identification_from_token
from hub.types import PartyKey

__all__ = [
    "authorization_info_from_authorize_start_response",
    "authorization_start_from_authorization_info",
    "authorization_start_refused",
    "authorization_stop",
    "authorize_start_from_ocpi",
    "stop_identifications",
]

Json = dict[str, Any]


def authorize_start_from_ocpi(
    token_uid: str,
    token_type: str,
    *,
    operator_id: str,
    evse_id: str | None,
    cpo_partner_session_id: str | None,
    contract_id: str | None = None,
    partner_product_id: str | None = None,
) -> AuthorizeStart:
    """OCPI real-time authorization of our CPO as OICP AuthorizeStart.

    `operator_id` is the hub's own OperatorID; `evse_id` the EvseID of `evse_uids[0]` of the
    LocationReferences (None when the request had none). Raises Unmappable as
    `identification_from_token` (non-hex RFID uid, contract_id that is not an EvcoID). Lost: the
    other evse_uids of LocationReferences, connector choice.
    """
    identification = identification_from_token({"uid": token_uid, "type": token_type, "contract_id": contract_id})
    return AuthorizeStart(
        operator_id=ids.operator_id(operator_id),
        evse_id=ids.evse_id(evse_id, "location.evse_uids") if evse_id else None,
        identification=identification,
        cpo_partner_session_id=cpo_partner_session_id,
        partner_product_id=ids.product_id(partner_product_id) if partner_product_id else None,
    )


def authorization_info_from_authorize_start_response(
    response: AuthorizationStart,
    *,
    token_uid: str,
    token_type: str,
    owner_if_unknown: PartyKey,
    now: datetime,
    location: Json | None = None,
) -> Json:
    """The OCPI AuthorizationInfo for HBS's answer to our AuthorizeStart.

    allowed = ALLOWED iff Authorized, else from the StatusCode (BLOCKED for 200, NOT_ALLOWED
    otherwise); authorization_reference = SessionID (keep it: the CDR needs it); token synthesized
    (owner from ProviderID, else `owner_if_unknown`; issuer ProviderID; whitelist NEVER);
    `location` (the request's LocationReferences) is echoed; a refusal's Description becomes `info`.
    Raises the hub's OcpiError (hub.errors) when the StatusCode is no authorization outcome
    (e.g. 300 partner not found -> 4001, 310 -> 4002), and Unmappable for a SessionID that is no GUID.
    """
    code = response.status_code.code
    outcome = ocpi_outcome(code)
    if response.authorization_status != "Authorized" and (error := ocpi_error(code, response.status_code.description)):
        raise error
    allowed = "ALLOWED" if response.authorization_status == "Authorized" else (outcome.allowed or "NOT_ALLOWED")
    if allowed == "ALLOWED" and response.authorization_status != "Authorized":
        allowed = "NOT_ALLOWED"
    owner = ids.party_of_provider_id(response.provider_id) if response.provider_id else owner_if_unknown
    token: Json = {
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "uid": token_uid,
        "type": token_type,
        "contract_id": token_uid,
        "issuer": response.provider_id or ids.provider_id_of_party(owner),
        "valid": allowed == "ALLOWED",
        "whitelist": "NEVER",
        "last_updated": ocpi_time(now),
    }
    info: Json = {"allowed": allowed, "token": token}
    if response.session_id:
        info["authorization_reference"] = ids.session_id(response.session_id)
    if location is not None:
        info["location"] = location
    if allowed != "ALLOWED" and response.status_code.description:
        info["info"] = {"language": "en", "text": response.status_code.description[:512]}
    return info


def stop_identifications(tokens: Iterable[Json]) -> list[Identification]:
    """AuthorizationStopIdentifications from the tokens sharing the starting token's group_id.
    Tokens that have no OICP identification (non-hex RFID uid, non-EvcoID contract) cannot stop a
    session through HBS and are left out - listed here rather than silently."""
    result = []
    for token in tokens:
        try:
            result.append(identification_from_token(token))
        except Unmappable:
            continue
    return result


def authorization_start_from_authorization_info(
    info: Json,
    *,
    request: AuthorizeStart,
    provider_id: str,
    stop_tokens: Iterable[Json] = (),
) -> AuthorizationStart:
    """Our eMSP's OCPI AuthorizationInfo as the AuthorizationStart answered to HBS.

    Authorized iff allowed ALLOWED; StatusCode from `oicp_code_for_allowed` (BLOCKED of an EvcoID
    token = 200). SessionID and CPOPartnerSessionID are echoed; EMPPartnerSessionID carries the
    eMSP's authorization_reference; ProviderID is the hub's (`provider_id`); `stop_tokens` (same
    group_id) become AuthorizationStopIdentifications. Lost: the eMSP's `info` text, `location`.
    """
    allowed = str(info.get("allowed"))
    authorized = allowed == "ALLOWED"
    code = oicp_code_for_allowed(allowed, token_is_evco=identification_evco_id(request.identification) is not None)
    stoppers = stop_identifications(stop_tokens) if authorized else []
    return AuthorizationStart(
        session_id=request.session_id,
        cpo_partner_session_id=request.cpo_partner_session_id,
        emp_partner_session_id=info.get("authorization_reference") if authorized else None,
        provider_id=ids.provider_id(provider_id) if authorized else None,
        authorization_status="Authorized" if authorized else "NotAuthorized",
        status_code=StatusCode(code=code),
        authorization_stop_identifications=stoppers or None,
    )


def authorization_start_refused(
    request: AuthorizeStart, code: OicpCode, description: str | None = None
) -> AuthorizationStart:
    """A NotAuthorized answer to HBS (unknown token: 102 for RFID, 105 for EvcoIDs; no owner: 300...)."""
    return AuthorizationStart(
        session_id=request.session_id,
        cpo_partner_session_id=request.cpo_partner_session_id,
        authorization_status="NotAuthorized",
        status_code=StatusCode(code=code, description=description[:200] if description else None),
    )


def authorization_stop(request: AuthorizeStop, *, authorized: bool, provider_id: str) -> AuthorizationStop:
    """The hub's local answer to an AuthorizeStop (no OCPI message exists): `authorized` when the
    identification is the starting token or shares its group_id (the caller decides)."""
    return AuthorizationStop(
        session_id=request.session_id,
        cpo_partner_session_id=request.cpo_partner_session_id,
        emp_partner_session_id=request.emp_partner_session_id,
        provider_id=ids.provider_id(provider_id) if authorized else None,
        authorization_status="Authorized" if authorized else "NotAuthorized",
        status_code=StatusCode(code=OicpCode.SUCCESS if authorized else OicpCode.NO_POSITIVE_AUTHENTICATION),
    )
