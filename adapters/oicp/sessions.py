"""OCPI Session <-> OICP ChargingNotifications (oicp-bridge.md §7.7).

Our CPO's Session updates become Start / Progress / End / Error notifications for sessions that
HBS started (they have a SessionID); a Hubject CPO's notifications become an OCPI Session PUT
(Start) and PATCHes (Progress, End, Error before charging). Progress throttling (>= 5 min per
session) is the adapter's job: it knows the time of the last notification.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import (
    ChargingNotification,
    ChargingNotificationEnd,
    ChargingNotificationError,
    ChargingNotificationProgress,
    ChargingNotificationStart,
)
from adapters.oicp.timefmt import local_time, ocpi_time, parse_ocpi_time
from adapters.oicp.tokens import cdr_token_from_identification, identification_from_token
from hub.types import PartyKey

__all__ = [
    "NotificationKind",
    "charging_notification_from_session",
    "notification_kind",
    "session_from_charging_notification",
    "session_patch_from_charging_notification",
]

Json = dict[str, Any]
NotificationKind = Literal["Start", "Progress", "End", "Error"]


def _started(session: Json | None) -> bool:
    return session is not None and (session.get("status") == "ACTIVE" or float(session.get("kwh") or 0) > 0)


def notification_kind(session: Json, previous: Json | None) -> NotificationKind | None:
    """Which notification an OCPI Session update calls for, given the state before it (None = new).

    First ACTIVE (or first kwh > 0) -> Start; later kwh change while ACTIVE -> Progress; COMPLETED ->
    End; INVALID -> Error (approximation: OICP errors are about connectors or faults); otherwise none.
    """
    status = session.get("status")
    before = previous.get("status") if previous else None
    if status == "INVALID":
        return "Error" if before != "INVALID" else None
    if status == "COMPLETED":
        return "End" if before != "COMPLETED" else None
    if _started(session) and not _started(previous):
        return "Start"
    if _started(session) and previous is not None and session.get("kwh") != previous.get("kwh"):
        return "Progress"
    return None


def charging_notification_from_session(
    session: Json,
    kind: NotificationKind,
    *,
    session_id: str,
    evse_id: str,
    operator_id: str,
    time_zone: str | None,
) -> ChargingNotification:
    """An OCPI Session of our CPO as the ChargingNotification `kind` (see `notification_kind`).

    Times are sent at the EVSE's offset (`time_zone`, IANA). ChargingStart = SessionStart =
    start_date_time; Progress: EventOccurred = last_updated, ConsumedEnergyProgress = kwh,
    ChargingDuration in ms; End: ChargingEnd = SessionEnd = end_date_time (else last_updated),
    ConsumedEnergy = kwh; Error: CriticalError. CPOPartnerSessionID = Session.id.
    Raises Unmappable for an unusable cdr_token (see `identification_from_token`) or missing times.
    Lost: charging_periods, total_cost, meter_id, currency, connector_id.
    """
    common: Json = {
        "session_id": ids.session_id(session_id),
        "cpo_partner_session_id": session.get("id"),
        "identification": identification_from_token(session.get("cdr_token") or {}, "cdr_token"),
        "evse_id": ids.evse_id(evse_id),
        "operator_id": ids.operator_id(operator_id),
    }
    start = parse_ocpi_time(session.get("start_date_time"), "start_date_time")
    updated = parse_ocpi_time(session.get("last_updated") or session.get("start_date_time"), "last_updated")
    energy = round(float(session.get("kwh") or 0), 3)
    if kind == "Start":
        local = local_time(start, time_zone)
        return ChargingNotificationStart(**common, charging_start=local, session_start=local)
    if kind == "Progress":
        return ChargingNotificationProgress(
            **common,
            charging_start=local_time(start, time_zone),
            event_occurred=local_time(updated, time_zone),
            charging_duration=max(int((updated - start).total_seconds() * 1000), 0),
            consumed_energy_progress=energy,
        )
    if kind == "End":
        end = parse_ocpi_time(session.get("end_date_time") or session.get("last_updated"), "end_date_time")
        return ChargingNotificationEnd(
            **common,
            charging_end=local_time(end, time_zone),
            charging_start=local_time(start, time_zone),
            session_start=local_time(start, time_zone),
            session_end=local_time(end, time_zone),
            consumed_energy=energy,
        )
    return ChargingNotificationError(**common, error_type="CriticalError", error_additional_info="OCPI session INVALID")


def session_from_charging_notification(
    notification: ChargingNotificationStart,
    *,
    party: PartyKey,
    token_owner: PartyKey,
    location_id: str,
    evse_uid: str,
    connector_id: str,
    auth_method: Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"],
    currency: str,
    now: datetime,
    cdr_token: Json | None = None,
) -> Json:
    """A Hubject CPO's Start notification as the OCPI Session PUT to our eMSP (id = SessionID).

    `party` is the CPO owning the EvseID, `token_owner` our eMSP; the caller resolves location_id,
    evse_uid, connector_id (first connector) from the EvseID and auth_method from how the session
    was authorized. `cdr_token`: the token as the session correlation knows it (keeps the
    contract_id of RFID cards, which OICP does not carry); else it is built from the Identification.
    Raises Unmappable without Identification or with a QR-code one.
    Lost: MeterValueStart, PartnerProductID (the tariff is resolved by the caller).
    """
    if cdr_token is None:
        if notification.identification is None:
            raise Unmappable("Identification", "the OCPI session needs the token and the notification has none")
        cdr_token = cdr_token_from_identification(notification.identification, owner=token_owner)
    session_id = ids.session_id(notification.session_id)
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": session_id,
        "start_date_time": ocpi_time(notification.charging_start),
        "kwh": 0,
        "cdr_token": cdr_token,
        "auth_method": auth_method,
        "authorization_reference": session_id,
        "location_id": location_id,
        "evse_uid": evse_uid,
        "connector_id": connector_id,
        "currency": currency,
        "status": "ACTIVE",
        "last_updated": ocpi_time(now),
    }


def session_patch_from_charging_notification(
    notification: ChargingNotificationProgress | ChargingNotificationEnd | ChargingNotificationError,
    *,
    now: datetime,
    charging_started: bool = True,
) -> Json | None:
    """The OCPI Session PATCH for a later notification, or None when OCPI has nothing to update.

    Progress -> kwh (when ConsumedEnergyProgress is given); End -> kwh = ConsumedEnergy, status stays
    ACTIVE (OICP End is the end of energy flow, the session ends with the CDR); Error -> status
    INVALID only when it arrives before charging started, else None (the fault has no OCPI field).
    Lost: ChargingDuration, meter values, PenaltyTimeStart, ErrorType/ErrorAdditionalInfo.
    """
    stamp = {"last_updated": ocpi_time(now)}
    if isinstance(notification, ChargingNotificationError):
        return None if charging_started else {"status": "INVALID"} | stamp
    energy = (
        notification.consumed_energy_progress
        if isinstance(notification, ChargingNotificationProgress)
        else notification.consumed_energy
    )
    return None if energy is None else {"kwh": energy} | stamp
