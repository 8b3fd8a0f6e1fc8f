"""`OicpHubSimulator`: the simulated Hubject hub as one object — server, state, parties, journal,
faults — and the calls the hub makes to the partner on the tests' demand (remote start/stop and
reservations from a virtual EMP, authorization, notifications and CDRs from a virtual CPO)."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from simulators.oicp_hub.app import OicpHubApp
from simulators.oicp_hub.faults import FaultPicker, OicpFaults
from simulators.oicp_hub.ids import UID, canonical, new_session_id, operator_of_evse
from simulators.oicp_hub.journal import Journal
from simulators.oicp_hub.outbound import PARTNER_PATHS, Outbound, Reply
from simulators.oicp_hub.parties import Contracts, Partner, VirtualCpo, VirtualEmp
from simulators.oicp_hub.serving import TlsSimServer
from simulators.oicp_hub.state import CdrEntry, HubState, Session
from simulators.oicp_hub.tls import HubTls

__all__ = ["LOCAL_OFFSET", "OicpHubSimulator"]

LOCAL_OFFSET = timezone(timedelta(hours=1))  # the virtual CPOs' local time (OICP wants local offsets)


class OicpHubSimulator:
    """See the package docstring for the knobs; `await start()` returns the base URL."""

    def __init__(
        self,
        partners: Sequence[Partner],
        *,
        cpos: Sequence[VirtualCpo] = (),
        emps: Sequence[VirtualEmp] = (),
        contracts: Contracts | None = None,
        base_path: str = "/api/oicp",
        tls: HubTls | None = None,
        partner_verify: ssl.SSLContext | bool = True,
        partner_timeout: float = 10.0,
        partner_paths: dict[str, str] | None = None,
        rate_limit_scale: float | None = 1.0,
        identity_header: str = "X-OICP-Partner",
        faults: OicpFaults | None = None,
        overtake_wait: float = 1.0,
        seed: int = 0,
    ) -> None:
        if not partners:
            raise ValueError("the hub needs at least one partner")
        self.partners = list(partners)
        self.cpos: dict[str, VirtualCpo] = {c.key: c for c in cpos}
        self.emps: dict[str, VirtualEmp] = {e.key: e for e in emps}
        self.contracts = contracts or Contracts()
        self.base_path = base_path
        self.tls = tls
        self.partner_timeout = partner_timeout
        self.rate_limit_scale = rate_limit_scale
        self.identity_header = identity_header
        self.overtake_wait = overtake_wait
        self.state = HubState()
        self.journal = Journal()
        self.faults = faults or OicpFaults()
        self.fault_picker = FaultPicker(seed)
        self.fault_picker.reset(self.faults)
        self.app = OicpHubApp(self)
        self.server = TlsSimServer(self.app, ssl_context=tls.server_context if tls else None)
        self.outbound = Outbound(
            self.journal,
            timeout=partner_timeout,
            paths={**PARTNER_PATHS, **(partner_paths or {})},
            verify=partner_verify,
        )
        self.outbound.faults = self.faults
        for cpo in cpos:
            for record in cpo.evses:
                self.state.evse_data.put(
                    cpo.key,
                    canonical(record["EvseID"]),
                    {**record, "OperatorID": cpo.operator_id, "OperatorName": cpo.name},
                )
                self.state.evse_status.put(
                    cpo.key,
                    canonical(record["EvseID"]),
                    {
                        "EvseID": record["EvseID"],
                        "EvseStatus": "Available",
                        "OperatorID": cpo.operator_id,
                        "OperatorName": cpo.name,
                    },
                )

    # ---- lifecycle and knobs ----------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http(s)://127.0.0.1:<port>` plus the base path: what a partner uses as its HBS URL."""
        return self.server.url + self.base_path

    async def start(self) -> str:
        """Listen on a free loopback port (bound, then paused, under `refuse_connections`)."""
        await self.server.start()
        if self.faults.refuse_connections:
            await self.server.pause()
        return self.url

    async def stop(self) -> None:
        await self.outbound.aclose()
        await self.server.stop()

    async def set_faults(self, faults: OicpFaults) -> None:
        """Switch fault modes (a new 5xx burst starts counting; refusing pauses the listener)."""
        self.faults = faults
        self.outbound.faults = faults
        self.fault_picker.reset(faults)
        if faults.refuse_connections and self.server.listening:
            await self.server.pause()
        elif not faults.refuse_connections and not self.server.listening:
            await self.server.resume()

    @property
    def partner(self) -> Partner:
        return self.partners[0]

    def partner_for_provider(self, provider_key: str) -> Partner | None:
        return next((p for p in self.partners if provider_key in p.provider_keys), None)

    def emp_partner(self, exclude: Partner | None = None) -> Partner | None:
        """A connected partner with the EMP role (other than `exclude`)."""
        return next((p for p in self.partners if p.provider_id and p is not exclude), None)

    def operator_id_of(self, operator_key: str) -> str | None:
        """Display OperatorID for a canonical key (a virtual CPO's or a partner's)."""
        if operator_key in self.cpos:
            return self.cpos[operator_key].operator_id
        partner = next((p for p in self.partners if p.operator_id and canonical(p.operator_id) == operator_key), None)
        return partner.operator_id if partner else None

    def provider_id_of(self, provider_key: str) -> str | None:
        if provider_key in self.emps:
            return self.emps[provider_key].provider_id
        partner = self.partner_for_provider(provider_key)
        return partner.provider_id if partner else None

    # ---- calls toward the partner (a virtual EMP behind the hub -> partner's CPO role) ------

    def _emp(self, provider_id: str | None) -> VirtualEmp:
        if provider_id is None:
            if not self.emps:
                raise ValueError("no virtual EMP configured")
            return next(iter(self.emps.values()))
        return self.emps.get(canonical(provider_id)) or VirtualEmp(provider_id)

    async def remote_start(
        self,
        evse_id: str,
        evco_id: str,
        *,
        provider_id: str | None = None,
        session_id: str | None = None,
        emp_partner_session_id: str | None = None,
        partner_product_id: str | None = None,
        partner: Partner | None = None,
    ) -> Reply:
        """eRoamingAuthorizeRemoteStart from a virtual EMP, relayed to the partner (CPO role) with a
        hub-made SessionID (or `session_id`). The session is kept when the partner accepts."""
        emp, target = self._emp(provider_id), partner or self.partner
        sid = session_id or new_session_id()
        body: dict[str, Any] = {
            "SessionID": sid,
            "ProviderID": emp.provider_id,
            "EvseID": evse_id,
            "Identification": {"RemoteIdentification": {"EvcoID": evco_id}},
        }
        if emp_partner_session_id:
            body["EMPPartnerSessionID"] = emp_partner_session_id
        if partner_product_id:
            body["PartnerProductID"] = partner_product_id
        operation = "eRoamingAuthorizeRemoteStart"
        reply = await self.outbound.call(
            target, operation, self.outbound.path(operation, provider=emp.provider_id), body
        )
        if reply.result:
            cpo_session = reply.body.get("CPOPartnerSessionID") if isinstance(reply.body, dict) else None
            self.state.sessions[sid] = Session(
                sid,
                "remote",
                operator_of_evse(evse_id),
                emp.key,
                evse_id,
                evco_id.upper(),
                body["Identification"],
                cpo_partner_session_id=cpo_session,
                emp_partner_session_id=emp_partner_session_id,
            )
        return reply

    async def remote_stop(
        self,
        session_id: str,
        *,
        evse_id: str | None = None,
        provider_id: str | None = None,
        partner: Partner | None = None,
    ) -> Reply:
        """eRoamingAuthorizeRemoteStop for a session (EvseID taken from it when not given)."""
        session = self.state.sessions.get(session_id)
        evse = evse_id or (session.evse_id if session else None)
        provider = provider_id or (self.provider_id_of(session.provider_key) if session else None)
        emp = self._emp(provider)
        body = {"SessionID": session_id, "ProviderID": emp.provider_id, "EvseID": evse}
        operation = "eRoamingAuthorizeRemoteStop"
        reply = await self.outbound.call(
            partner or self.partner, operation, self.outbound.path(operation, provider=emp.provider_id), body
        )
        if reply.result and session:
            session.stopped = True
        return reply

    async def reservation_start(
        self,
        evse_id: str,
        evco_id: str,
        *,
        duration: int | None = None,
        provider_id: str | None = None,
        session_id: str | None = None,
    ) -> Reply:
        """eRoamingAuthorizeRemoteReservationStart from a virtual EMP to the partner."""
        emp = self._emp(provider_id)
        sid = session_id or new_session_id()
        body: dict[str, Any] = {
            "SessionID": sid,
            "ProviderID": emp.provider_id,
            "EvseID": evse_id,
            "Identification": {"RemoteIdentification": {"EvcoID": evco_id}},
        }
        if duration is not None:
            body["Duration"] = duration
        operation = "eRoamingAuthorizeRemoteReservationStart"
        reply = await self.outbound.call(
            self.partner, operation, self.outbound.path(operation, provider=emp.provider_id), body
        )
        if reply.result:
            self.state.sessions[sid] = Session(
                sid, "reservation", operator_of_evse(evse_id), emp.key, evse_id, evco_id.upper(), body["Identification"]
            )
        return reply

    async def reservation_stop(
        self, session_id: str, *, evse_id: str | None = None, provider_id: str | None = None
    ) -> Reply:
        session = self.state.sessions.get(session_id)
        emp = self._emp(provider_id or (self.provider_id_of(session.provider_key) if session else None))
        body = {
            "SessionID": session_id,
            "ProviderID": emp.provider_id,
            "EvseID": evse_id or (session.evse_id if session else None),
        }
        operation = "eRoamingAuthorizeRemoteReservationStop"
        return await self.outbound.call(
            self.partner, operation, self.outbound.path(operation, provider=emp.provider_id), body
        )

    # ---- calls toward the partner (a virtual CPO behind the hub -> partner's EMP role) ------

    def _cpo(self, operator_id: str | None) -> VirtualCpo:
        if operator_id is None:
            if not self.cpos:
                raise ValueError("no virtual CPO configured")
            return next(iter(self.cpos.values()))
        return self.cpos.get(canonical(operator_id)) or VirtualCpo(operator_id)

    async def authorize_start(
        self,
        identification: dict[str, Any] | str,
        *,
        evse_id: str | None = None,
        operator_id: str | None = None,
        cpo_partner_session_id: str | None = None,
        partner: Partner | None = None,
    ) -> Reply:
        """eRoamingAuthorizeStart from a virtual CPO, with a hub-made SessionID, to the partner's
        EMP role. A str is an RFID UID (hex) or else a PnC EvcoID. An offline partner EMP is not
        called: the hub answers from its uploaded authentication data (Reply.http_status 0)."""
        cpo, target = self._cpo(operator_id), partner or self.partner
        ident = _identification(identification)
        sid = new_session_id()
        body: dict[str, Any] = {"SessionID": sid, "OperatorID": cpo.operator_id, "Identification": ident}
        if evse_id:
            body["EvseID"] = evse_id
        if cpo_partner_session_id:
            body["CPOPartnerSessionID"] = cpo_partner_session_id
        token = _token(ident)
        if not target.online_emp:
            uploaded = self.state.auth_data.current.get(token)
            answer = (
                {
                    "SessionID": sid,
                    "ProviderID": target.provider_id,
                    "AuthorizationStatus": "Authorized",
                    "StatusCode": {"Code": "000"},
                }
                if uploaded
                else {"AuthorizationStatus": "NotAuthorized", "StatusCode": {"Code": "102"}}
            )
            reply = Reply(0, answer, 0.0, "offline EMP: decided by the hub from uploaded data")
        else:
            operation = "eRoamingAuthorizeStart"
            reply = await self.outbound.call(
                target, operation, self.outbound.path(operation, operator=cpo.operator_id), body
            )
        if reply.authorized:
            stop_ids = reply.body.get("AuthorizationStopIdentifications") or []
            self.state.sessions[sid] = Session(
                sid,
                "authorize",
                cpo.key,
                canonical(target.provider_id or ""),
                evse_id,
                token,
                ident,
                offline=not target.online_emp,
                cpo_partner_session_id=cpo_partner_session_id,
                emp_partner_session_id=reply.body.get("EMPPartnerSessionID"),
                stop_tokens={_token(i) for i in stop_ids if isinstance(i, dict)},
            )
        return reply

    async def authorize_stop(
        self, session_id: str, identification: dict[str, Any] | str | None = None, *, evse_id: str | None = None
    ) -> Reply:
        """eRoamingAuthorizeStop from the session's virtual CPO to the partner's EMP role."""
        session = self.state.sessions.get(session_id)
        ident = (
            _identification(identification)
            if identification is not None
            else (session.identification if session else {})
        )
        cpo = self._cpo(self.operator_id_of(session.operator_key) if session else None)
        body: dict[str, Any] = {"SessionID": session_id, "OperatorID": cpo.operator_id, "Identification": ident}
        if evse_id or (session and session.evse_id):
            body["EvseID"] = evse_id or (session.evse_id if session else None)
        operation = "eRoamingAuthorizeStop"
        return await self.outbound.call(
            self.partner, operation, self.outbound.path(operation, operator=cpo.operator_id), body
        )

    async def charging_notification(self, kind: str, session_id: str, **fields: Any) -> Reply:
        """eRoamingChargingNotifications of `kind` (Start/Progress/End/Error) for a session, from its
        virtual CPO to the partner's EMP role; `fields` are added (e.g. ChargingStart=...)."""
        session = self.state.sessions.get(session_id)
        operator = (self.operator_id_of(session.operator_key) if session else None) or self._cpo(None).operator_id
        body: dict[str, Any] = {
            "Type": kind,
            "SessionID": session_id,
            "OperatorID": operator,
            "EvseID": session.evse_id if session else None,
        }
        if session:
            body["Identification"] = session.identification
            if session.emp_partner_session_id:
                body["EMPPartnerSessionID"] = session.emp_partner_session_id
        body.update(fields)
        operation = "eRoamingChargingNotifications"
        return await self.outbound.call(self.partner, operation, self.outbound.path(operation), body)

    async def send_cdr(
        self, session_id: str, *, consumed_energy: float = 10.0, minutes: int = 60, **fields: Any
    ) -> Reply | None:
        """eRoamingChargeDetailRecord of a session from its virtual CPO: stored at the hub, then
        forwarded to an online partner EMP (None: an offline one fetches it with GetChargeDetailRecords)."""
        session = self.state.sessions.get(session_id)
        operator = (self.operator_id_of(session.operator_key) if session else None) or self._cpo(None).operator_id
        end = datetime.now(UTC).astimezone(LOCAL_OFFSET).replace(microsecond=0) - timedelta(minutes=1)
        start = end - timedelta(minutes=minutes)
        body: dict[str, Any] = {
            "SessionID": session_id,
            "EvseID": session.evse_id if session else None,
            "Identification": session.identification if session else {},
            "SessionStart": start.isoformat(),
            "ChargingStart": start.isoformat(),
            "ChargingEnd": end.isoformat(),
            "SessionEnd": end.isoformat(),
            "ConsumedEnergy": round(consumed_energy, 3),
        }
        if session and session.emp_partner_session_id:
            body["EMPPartnerSessionID"] = session.emp_partner_session_id
        body.update(fields)
        provider_key = session.provider_key if session else canonical(self.partner.provider_id or "")
        entry = CdrEntry(datetime.now(UTC), body, canonical(operator), provider_key)
        self.state.cdrs.append(entry)
        if not self.partner.online_emp:
            return None
        operation = "eRoamingChargeDetailRecord"
        reply = await self.outbound.call(
            self.partner, operation, self.outbound.path(operation, operator=operator), body
        )
        entry.forwarded = reply.result
        return reply


def _identification(value: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if UID.match(value.upper()):
        return {"RFIDMifareFamilyIdentification": {"UID": value.upper()}}
    return {"PlugAndChargeIdentification": {"EvcoID": value}}


def _token(identification: dict[str, Any]) -> str:
    for inner in identification.values():
        if isinstance(inner, dict):
            return str(inner.get("UID") or inner.get("EvcoID") or "").upper()
    return ""
