"""Authorization and everything keyed by a SessionID: AuthorizeStart/Stop from the CPO side
(offline data, EvcoID routing, RFID broadcast), remote start/stop and reservations from the EMP
side (relayed to the virtual CPO owning the EvseID), charging notifications and CDRs (relayed to
the session's EMP), authentication data uploads and CDR downloads of an offline EMP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from simulators.oicp_hub import ids
from simulators.oicp_hub.codes import status
from simulators.oicp_hub.context import Call, page, paging
from simulators.oicp_hub.ids import canonical, new_session_id, operator_of_evse, provider_of_evco
from simulators.oicp_hub.parties import Partner, VirtualCpo, VirtualEmp
from simulators.oicp_hub.state import CdrEntry, Session
from simulators.oicp_hub.validation import (
    ACTION_TYPES,
    AUTHORIZATION_IDENTIFICATIONS,
    IDENTIFICATIONS,
    Checker,
    OicpError,
    check_identification,
    parse_time,
)

__all__ = [
    "Decision",
    "authorize_start",
    "authorize_stop",
    "charge_detail_record",
    "charging_notification",
    "get_charge_detail_records",
    "push_authentication_data",
    "remote_start",
    "remote_stop",
    "reservation_start",
    "reservation_stop",
]

_PROGRESS_GAP = timedelta(minutes=5)
_ERROR_TYPES = ("ConnectorError", "CriticalError", "Connector Error", "Critical Error")


@dataclass
class Decision:
    """Outcome of one authorization at the hub."""

    authorized: bool
    code: str
    provider_id: str | None = None
    offline: bool = False
    emp_answer: dict[str, Any] = field(default_factory=dict)


def _partner_ids(c: Checker, body: dict[str, Any]) -> None:
    c.value(body, "CPOPartnerSessionID", "", required=False, max_len=250)
    c.value(body, "EMPPartnerSessionID", "", required=False, max_len=250, aliases=("EMPPartnerSessionId",))


def _echo(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in ("SessionID", "CPOPartnerSessionID", "EMPPartnerSessionID") if body.get(k)}


async def _within(sim_timeout: float, answer: Awaitable[dict[str, Any] | None]) -> dict[str, Any] | None:
    try:
        return await asyncio.wait_for(answer, sim_timeout)
    except TimeoutError:
        return None


def _offline(call: Call, operator_key: str, token: str) -> Decision | None:
    """Authorization from uploaded data (the partner's) or an offline virtual EMP's list."""
    sim = call.sim
    uploaded = sim.state.auth_data.current.get(token)
    if uploaded is not None:
        provider = str(uploaded[1]["ProviderID"])
        if sim.contracts.has(operator_key, provider):
            return Decision(True, "000", provider, offline=True)
    for emp in sim.emps.values():
        if not emp.online and emp.knows(token) and sim.contracts.has(operator_key, emp.provider_id):
            allowed = token not in {t.upper() for t in emp.blocked}
            return Decision(allowed, "000" if allowed else "200", emp.provider_id if allowed else None, offline=True)
    return None


async def _ask_emp(
    call: Call, target: VirtualEmp | Partner, operator_id: str, body: dict[str, Any], token: str, operation: str
) -> Decision:
    """One EMP's answer: a virtual one, or a partner over HTTP; no answer counts as NotAuthorized."""
    sim = call.sim
    if isinstance(target, VirtualEmp):
        answer = await _within(sim.partner_timeout, target.answer_authorize(operation, body, token))
        provider = target.provider_id
    else:
        provider = target.provider_id or ""
        path = sim.outbound.path(operation, operator=operator_id)
        reply = await sim.outbound.call(target, operation, path, body)
        answer = reply.body if reply.http_status == 200 and isinstance(reply.body, dict) else None
    if answer is None:
        return Decision(False, "310")
    code = str((answer.get("StatusCode") or {}).get("Code", "000"))
    if answer.get("AuthorizationStatus") == "Authorized":
        return Decision(True, "000", str(answer.get("ProviderID") or provider), emp_answer=answer)
    return Decision(False, code if code != "000" else "106", emp_answer=answer)


async def _decide(call: Call, operator_id: str, token: str, option: str, body: dict[str, Any]) -> Decision:
    """H4: offline data, then EvcoID routing, else RFID broadcast to the contracted online EMPs."""
    sim = call.sim
    offline = _offline(call, canonical(operator_id), token)
    if offline is not None:
        return offline
    operation = "eRoamingAuthorizeStart"
    if option != "RFIDMifareFamilyIdentification":
        provider = provider_of_evco(token)
        emp = sim.emps.get(provider)
        partner = sim.partner_for_provider(provider)
        if emp is None and (partner is None or partner is call.partner or not partner.online_emp):
            return Decision(False, "300")
        target: VirtualEmp | Partner = emp or partner  # type: ignore[assignment]
        if not sim.contracts.has(operator_id, target.provider_id or ""):
            return Decision(False, "210")
        return await _ask_emp(call, target, operator_id, body, token, operation)
    asks: list[Awaitable[Decision]] = [
        _ask_emp(call, emp, operator_id, body, token, operation)
        for emp in sim.emps.values()
        if emp.online and sim.contracts.has(operator_id, emp.provider_id)
    ]
    other = sim.emp_partner(exclude=call.partner)
    if other is not None and other.online_emp and sim.contracts.has(operator_id, other.provider_id or ""):
        asks.append(_ask_emp(call, other, operator_id, body, token, operation))
    answers = await asyncio.gather(*asks)
    for decision in answers:
        if decision.authorized:
            return decision
    codes = [d.code for d in answers if d.code not in ("102", "310", "300")]
    return Decision(False, codes[0] if codes else "102")


def _session(call: Call, session_id: Any, *, origin: str | None = None, role: str = "operator") -> Session:
    """H8: a SessionID the hub created, in a process of the caller; else `400`."""
    found = call.sim.state.sessions.get(session_id) if isinstance(session_id, str) else None
    mine = found is not None and (
        found.operator_key in call.partner.operator_keys
        if role == "operator"
        else found.provider_key in call.partner.provider_keys
    )
    if found is None or not mine or (origin is not None and found.origin != origin):
        raise OicpError("400", "Session is invalid", f"SessionID {session_id!r} is unknown to the hub for the caller")
    return found


async def authorize_start(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    operator_id = call.own_id("operator", body.get("OperatorID"), "OperatorID")
    session_id = c.value(body, "SessionID", "", required=False, pattern=ids.SESSION_ID)
    _partner_ids(c, body)
    evse_id = c.value(body, "EvseID", "", required=False, pattern=ids.EVSE_ID)
    c.value(body, "PartnerProductID", "", required=False, max_len=50)
    ident = check_identification(c, body.get("Identification"), "Identification", AUTHORIZATION_IDENTIFICATIONS)
    c.done()
    if evse_id:
        call.check_evses([evse_id])
    if session_id is not None:
        _session(call, session_id)
    assert ident is not None
    option, token = ident
    sid = session_id or new_session_id()
    decision = await _decide(call, operator_id, token, option, {**body, "SessionID": sid})
    echo = {k: v for k, v in _echo(body).items() if k != "SessionID"}
    if not decision.authorized:
        return {**echo, "AuthorizationStatus": "NotAuthorized", "StatusCode": status(decision.code)}
    emp_session = decision.emp_answer.get("EMPPartnerSessionID")
    stop_ids = decision.emp_answer.get("AuthorizationStopIdentifications") or []
    call.sim.state.sessions[sid] = Session(
        sid,
        "authorize",
        call.operator_key,
        canonical(decision.provider_id or ""),
        evse_id,
        token,
        body["Identification"],
        offline=decision.offline,
        cpo_partner_session_id=body.get("CPOPartnerSessionID"),
        emp_partner_session_id=emp_session,
        stop_tokens={_token_of(i) for i in stop_ids if isinstance(i, dict)},
    )
    answer = {
        **echo,
        "SessionID": sid,
        "ProviderID": decision.provider_id,
        "AuthorizationStatus": "Authorized",
        "StatusCode": status("000"),
    }
    if emp_session:
        answer["EMPPartnerSessionID"] = emp_session
    if stop_ids:
        answer["AuthorizationStopIdentifications"] = stop_ids
    return answer


def _token_of(identification: dict[str, Any]) -> str:
    for option in IDENTIFICATIONS:
        inner = identification.get(option)
        if isinstance(inner, dict):
            return str(inner.get("UID") or inner.get("EvcoID") or "").upper()
    return ""


async def authorize_stop(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    operator_id = call.own_id("operator", body.get("OperatorID"), "OperatorID")
    c.value(body, "SessionID", "", pattern=ids.SESSION_ID)
    _partner_ids(c, body)
    evse_id = c.value(body, "EvseID", "", required=False, pattern=ids.EVSE_ID)
    ident = check_identification(c, body.get("Identification"), "Identification", AUTHORIZATION_IDENTIFICATIONS)
    c.done()
    if evse_id:
        call.check_evses([evse_id])
    session = _session(call, body["SessionID"], origin="authorize")
    assert ident is not None
    token = ident[1]
    echo = _echo(body)
    if token == session.token or token in session.stop_tokens:
        decision = Decision(True, "000", call.sim.provider_id_of(session.provider_key))
    elif session.offline:  # offline-authorized sessions stop only with the same medium
        decision = Decision(False, "102" if ident[0] == "RFIDMifareFamilyIdentification" else "105")
    else:
        target = call.sim.emps.get(session.provider_key) or call.sim.partner_for_provider(session.provider_key)
        if target is None or target is call.partner:
            decision = Decision(False, "300")
        else:
            decision = await _ask_emp(call, target, operator_id, body, token, "eRoamingAuthorizeStop")
    if not decision.authorized:
        return {**echo, "AuthorizationStatus": "NotAuthorized", "StatusCode": status(decision.code)}
    session.stopped = True
    return {
        **echo,
        "ProviderID": decision.provider_id,
        "AuthorizationStatus": "Authorized",
        "StatusCode": status("000"),
    }


def _target_cpo(call: Call, evse_id: str, provider_id: str) -> VirtualCpo:
    """H6: the CPO owning the EvseID, contract, `603` / `604` checks."""
    sim = call.sim
    cpo = sim.cpos.get(operator_of_evse(evse_id))
    if cpo is None:
        raise OicpError("300", "Partner not found", f"no CPO behind the hub owns {evse_id}")
    if not sim.contracts.has(cpo.operator_id, provider_id):
        raise OicpError("210", "No valid contract")
    uploaded = any(owner == cpo.key for owner, _rec in sim.state.evse_data.current.values())
    record = sim.state.evse(canonical(evse_id))
    if uploaded and record is None:
        raise OicpError("603", "Unknown EVSE ID")
    if record is not None and record.get("IsHubjectCompatible") is False:
        raise OicpError("604", "EVSE ID is not Hubject compatible")
    return cpo


def _set_status(call: Call, cpo: VirtualCpo, evse_id: str, value: str) -> None:
    call.sim.state.evse_status.put(
        cpo.key,
        canonical(evse_id),
        {"EvseID": evse_id, "EvseStatus": value, "OperatorID": cpo.operator_id, "OperatorName": cpo.name},
    )


async def _relay_to_cpo(call: Call, cpo: VirtualCpo, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await _within(call.sim.partner_timeout, cpo.answer(operation, body))
    if answer is None:
        return {"Result": False, "StatusCode": status("310", f"{cpo.name} did not answer in time")}
    code = str((answer.get("StatusCode") or {}).get("Code", "000"))
    return {
        "Result": bool(answer.get("Result")),
        "StatusCode": status(code),
        **({"CPOPartnerSessionID": answer["CPOPartnerSessionID"]} if answer.get("CPOPartnerSessionID") else {}),
    }


async def _remote(
    call: Call, operation: str, origin: Literal["remote", "reservation"], status_on_success: str
) -> dict[str, Any]:
    body, c = call.body, Checker()
    provider_id = call.own_id("provider", body.get("ProviderID"), "ProviderID")
    given = c.value(body, "SessionID", "", required=False, pattern=ids.SESSION_ID)
    _partner_ids(c, body)
    evse_id = c.value(body, "EvseID", "", pattern=ids.EVSE_ID)
    c.value(body, "PartnerProductID", "", required=False, max_len=50)
    allowed = ("RemoteIdentification",) if origin == "remote" else AUTHORIZATION_IDENTIFICATIONS
    ident = check_identification(c, body.get("Identification"), "Identification", allowed)
    if origin == "reservation":
        c.value(body, "Duration", "", kind=int, required=False, minimum=1, maximum=99)
    c.done()
    assert ident is not None and isinstance(evse_id, str)
    if ident[0] != "RFIDMifareFamilyIdentification":
        call.check_evcos([ident[1]])
    if given is not None:
        _session(call, given, role="provider")
    cpo = _target_cpo(call, evse_id, provider_id)
    sid = given or new_session_id()
    relayed = {**body, "SessionID": sid}
    session = Session(
        sid,
        origin,
        cpo.key,
        call.provider_key,
        evse_id,
        ident[1],
        body["Identification"],
        emp_partner_session_id=body.get("EMPPartnerSessionID") or body.get("EMPPartnerSessionId"),
    )
    call.sim.state.sessions[sid] = session
    answer = await _relay_to_cpo(call, cpo, operation, relayed)
    if answer["Result"]:
        session.cpo_partner_session_id = answer.get("CPOPartnerSessionID")
        _set_status(call, cpo, evse_id, status_on_success)
    elif given is None:
        call.sim.state.sessions.pop(sid, None)
    return {**_echo(body), "SessionID": sid, **answer}


async def _remote_stop(call: Call, operation: str, origin: str) -> dict[str, Any]:
    body, c = call.body, Checker()
    call.own_id("provider", body.get("ProviderID"), "ProviderID")
    c.value(body, "SessionID", "", pattern=ids.SESSION_ID)
    _partner_ids(c, body)
    evse_id = c.value(body, "EvseID", "", pattern=ids.EVSE_ID)
    c.done()
    session = _session(call, body["SessionID"], origin=origin, role="provider")
    if session.evse_id is None or canonical(str(evse_id)) != canonical(session.evse_id):
        raise OicpError("400", "Session is invalid", f"EvseID {evse_id} is not the session's EVSE")
    cpo = call.sim.cpos[session.operator_key]
    answer = await _relay_to_cpo(call, cpo, operation, body)
    if answer["Result"]:
        session.stopped = True
        _set_status(call, cpo, session.evse_id, "Available")
    return {**_echo(body), **answer}


async def remote_start(call: Call) -> dict[str, Any]:
    return await _remote(call, "eRoamingAuthorizeRemoteStart", "remote", "Occupied")


async def remote_stop(call: Call) -> dict[str, Any]:
    return await _remote_stop(call, "eRoamingAuthorizeRemoteStop", "remote")


async def reservation_start(call: Call) -> dict[str, Any]:
    return await _remote(call, "eRoamingAuthorizeRemoteReservationStart", "reservation", "Reserved")


async def reservation_stop(call: Call) -> dict[str, Any]:
    return await _remote_stop(call, "eRoamingAuthorizeRemoteReservationStop", "reservation")


async def _relay_to_emp(call: Call, session: Session, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """Forward to the session's EMP and relay its acknowledgement (None: kept, not forwarded)."""
    sim = call.sim
    emp = sim.emps.get(session.provider_key)
    if emp is not None:
        if not emp.reachable:
            return {"Result": False, "StatusCode": status("310")}
        return emp.accept(operation, body)
    partner = sim.partner_for_provider(session.provider_key)
    if partner is None or partner is call.partner or not partner.online_emp:
        return {"Result": True, "StatusCode": status("000")}
    operator = sim.operator_id_of(session.operator_key) or ""
    reply = await sim.outbound.call(partner, operation, sim.outbound.path(operation, operator=operator), body)
    if reply.http_status == 200 and isinstance(reply.body, dict) and "Result" in reply.body:
        return reply.body
    return {"Result": False, "StatusCode": status("310", reply.error or f"HTTP {reply.http_status}")}


async def charging_notification(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    call.own_id("operator", body.get("OperatorID"), "OperatorID")
    kind = c.value(body, "Type", "", enum=("Start", "Progress", "End", "Error"))
    c.value(body, "SessionID", "", pattern=ids.SESSION_ID)
    _partner_ids(c, body)
    evse_id = c.value(body, "EvseID", "", pattern=ids.EVSE_ID)
    if body.get("Identification") is not None:
        check_identification(c, body["Identification"], "Identification", IDENTIFICATIONS)
    for name in ("SessionStart", "SessionEnd", "PenaltyTimeStart"):
        c.date_time(body, name, "", required=False)
    c.date_time(body, "ChargingStart", "", required=kind in ("Start", "Progress"))
    c.date_time(body, "ChargingEnd", "", required=kind == "End")
    c.value(body, "PartnerProductID", "", required=False, max_len=50)
    for name in ("MeterValueStart", "MeterValueEnd", "ConsumedEnergy", "ConsumedEnergyProgress"):
        c.value(body, name, "", kind=float, required=False, minimum=0)
    if kind == "Progress":
        c.date_time(body, "EventOccurred", "")
        c.value(body, "ChargingDuration", "", kind=int, required=False, minimum=0)
        if body.get("ChargingDuration") is None and body.get("ConsumedEnergyProgress") is None:
            c.fail("Progress", "ChargingDuration or ConsumedEnergyProgress needed")
    if kind == "Error":
        c.value(body, "ErrorType", "", enum=_ERROR_TYPES)
        c.value(body, "ErrorAdditionalInfo", "", required=False, max_len=250)
    c.done()
    call.check_evses([str(evse_id)])
    session = _session(call, body["SessionID"])
    if kind == "Progress":
        moment = parse_time(body["EventOccurred"])
        if session.progress_times and moment - session.progress_times[-1] < _PROGRESS_GAP:
            call.entry.notes.append("Progress less than 5 min after the previous one")
        session.progress_times.append(moment)
    answer = await _relay_to_emp(call, session, "eRoamingChargingNotifications", body)
    return {**_echo(body), **answer}


async def charge_detail_record(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    c.value(body, "SessionID", "", pattern=ids.SESSION_ID)
    _partner_ids(c, body)
    c.value(body, "PartnerProductID", "", required=False, max_len=50)
    evse_id = c.value(body, "EvseID", "", pattern=ids.EVSE_ID)
    check_identification(c, body.get("Identification"), "Identification", IDENTIFICATIONS)
    times = {n: c.date_time(body, n, "") for n in ("ChargingStart", "ChargingEnd", "SessionStart", "SessionEnd")}
    c.value(body, "ConsumedEnergy", "", kind=float, minimum=0)
    for name in ("MeterValueStart", "MeterValueEnd"):
        c.value(body, name, "", kind=float, required=False, minimum=0)
    signed = c.items(body, "SignedMeteringValues", "", required=False, max_items=10)
    for i, item in enumerate(signed):
        value = c.obj(item, f"SignedMeteringValues[{i}]")
        c.value(value, "SignedMeteringValue", f"SignedMeteringValues[{i}]", required=False, max_len=3000)
        c.value(
            value, "MeteringStatus", f"SignedMeteringValues[{i}]", required=False, enum=("Start", "Progress", "End")
        )
    c.value(body, "HubOperatorID", "", required=False, pattern=ids.OPERATOR_ID)
    c.value(body, "HubProviderID", "", required=False, pattern=ids.PROVIDER_ID, aliases=("HubProviderId",))
    c.done()
    if times["SessionEnd"] and parse_time(times["SessionEnd"]) > datetime.now(UTC):
        raise OicpError("022", "Data error", "SessionEnd lies in the future")
    call.check_evses([str(evse_id)])
    record = call.sim.state.evse(canonical(str(evse_id)))
    if record and record.get("CalibrationLawDataAvailability") == "External" and not signed:
        raise OicpError("022", "Data error", "SignedMeteringValues needed: the EVSE declares External calibration data")
    session = _session(call, body["SessionID"])
    sim = call.sim
    if any(cdr.body.get("SessionID") == session.session_id for cdr in sim.state.cdrs):
        raise OicpError("022", "Data error", "a CDR for this SessionID was already received")
    entry = CdrEntry(datetime.now(UTC), body, session.operator_key, session.provider_key)
    sim.state.cdrs.append(entry)
    answer = await _relay_to_emp(call, session, "eRoamingChargeDetailRecord", body)
    entry.forwarded = bool(answer.get("Result"))
    return {**_echo(body), "Result": True, "StatusCode": status("000")}  # stored: positive even if not forwarded


async def get_charge_detail_records(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    number, size = paging(call.query, maximum=2000)
    call.own_id("provider", body.get("ProviderID"), "ProviderID")
    start, end = c.date_time(body, "From", ""), c.date_time(body, "To", "")
    sessions = c.items(body, "SessionID", "", required=False)
    operator = c.value(body, "OperatorID", "", required=False, pattern=ids.OPERATOR_ID)
    forwarded = c.value(body, "CDRForwarded", "", kind=bool, required=False, aliases=("CDRForwarder",))
    c.done()
    assert start is not None and end is not None
    low, high = parse_time(start), parse_time(end)
    out = [
        cdr.body
        for cdr in call.sim.state.cdrs
        if cdr.provider_key in call.partner.provider_keys
        and low <= cdr.received <= high
        and (not sessions or cdr.body.get("SessionID") in sessions)
        and (operator is None or cdr.operator_key == canonical(operator))
        and (forwarded is None or cdr.forwarded is forwarded)
    ]
    return page(out, number, size)


async def push_authentication_data(call: Call) -> dict[str, Any]:
    body, c = call.body, Checker()
    data = c.obj(body.get("ProviderAuthenticationData"), "ProviderAuthenticationData")
    provider_id = call.own_id("provider", data.get("ProviderID"), "ProviderAuthenticationData.ProviderID")
    action = c.value(body, "ActionType", "", enum=ACTION_TYPES)
    incoming: dict[str, dict[str, Any]] = {}
    evcos: list[str] = []
    for i, item in enumerate(c.items(data, "AuthenticationDataRecord", "ProviderAuthenticationData")):
        where = f"ProviderAuthenticationData.AuthenticationDataRecord[{i}]"
        rec = c.obj(item, where)
        ident = check_identification(c, rec.get("Identification"), f"{where}.Identification", IDENTIFICATIONS)
        if ident is None:
            continue
        option, token = ident
        inner = rec["Identification"][option]
        evco = inner.get("EvcoID") if option != "RFIDIdentification" or inner.get("EvcoID") else None
        if isinstance(evco, str):
            evcos.append(evco)
        if token in incoming:
            c.fail(where, "identification given twice")
        incoming[token] = {"Identification": rec["Identification"], "ProviderID": provider_id}
    c.done()
    call.check_evcos(evcos)
    call.sim.state.auth_data.apply(str(action), call.provider_key, incoming)
    return {"Result": True, "StatusCode": status("000")}
