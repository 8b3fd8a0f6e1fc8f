"""OCPI CDR <-> OICP eRoamingChargeDetailRecord (oicp-bridge.md §7.8).

The OICP CDR has energy and times but no money: every OCPI cost field is lost toward OICP, and
the OCPI CDR built from an OICP one gets its price from the CPO's pulled pricing product (or 0
with a remark saying so).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from adapters.oicp import ids
from adapters.oicp.errors import Unmappable
from adapters.oicp.models import (
    CalibrationLawVerificationInfo,
    ChargeDetailRecord,
    PricingProductDataRecord,
    SignedMeteringValue,
)
from adapters.oicp.pricing import cost_from_pricing
from adapters.oicp.timefmt import hours_between, local_time, ocpi_time, parse_ocpi_time
from adapters.oicp.tokens import cdr_token_from_identification, identification_from_token
from hub.types import PartyKey

__all__ = ["NO_PRICE_REMARK", "cdr_from_oicp", "cdr_to_oicp"]

Json = dict[str, Any]
NO_PRICE_REMARK = "price not provided by CPO"
_MAX_SIGNED_VALUES = 10


def _energy_window(cdr: Json, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Start of the first and end of the last charging period that delivered energy."""
    periods = cdr.get("charging_periods") or []
    bounds = [
        parse_ocpi_time(p.get("start_date_time"), f"charging_periods[{i}].start_date_time")
        for i, p in enumerate(periods)
    ]
    bounds.append(end)
    charging = [
        (bounds[i], bounds[i + 1])
        for i, period in enumerate(periods)
        if any(d.get("type") == "ENERGY" and float(d.get("volume") or 0) > 0 for d in period.get("dimensions") or [])
    ]
    return (charging[0][0], charging[-1][1]) if charging else (start, end)


def _status(nature: str) -> Literal["Start", "Progress", "End"]:
    lowered = nature.lower()
    return "Start" if lowered == "start" else "End" if lowered == "end" else "Progress"


def _signed(signed: Json | None) -> tuple[list[SignedMeteringValue] | None, CalibrationLawVerificationInfo | None]:
    if not signed:
        return None, None
    values = signed.get("signed_values") or []
    if len(values) > _MAX_SIGNED_VALUES:
        raise Unmappable(
            "signed_data.signed_values", f"{len(values)} values; OICP carries at most {_MAX_SIGNED_VALUES}"
        )
    method = str(signed.get("encoding_method", ""))
    version = signed.get("encoding_method_version")
    encoding = f"{method} {version}" if version is not None else method
    return [
        SignedMeteringValue(
            signed_metering_value=v.get("signed_data"), metering_status=_status(str(v.get("nature", "")))
        )
        for v in values
    ], CalibrationLawVerificationInfo(
        public_key=signed.get("public_key"),
        metering_signature_url=signed.get("url"),
        metering_signature_encoding_format=encoding[:50] or None,
    )


def cdr_to_oicp(
    cdr: Json,
    *,
    session_id: str | None = None,
    time_zone: str | None,
    hub_operator_id: str | None = None,
    hub_provider_id: str | None = None,
) -> ChargeDetailRecord:
    """Our CPO's OCPI CDR as an OICP ChargeDetailRecord.

    SessionID = `session_id` (from the correlation) else `authorization_reference`; CPOPartnerSessionID
    = CDR.id; EvseID = cdr_location.evse_id; Identification from cdr_token; SessionStart/End =
    start/end_date_time and ChargingStart/End = bounds of the periods with energy, all at the EVSE's
    offset (`time_zone`); ConsumedEnergy = total_energy (3 decimals); PartnerProductID = the first
    tariff id; signed_data -> SignedMeteringValues + CalibrationLawVerificationInfo.
    Raises Unmappable: no SessionID (the session did not start through HBS), credit CDRs (`credit`),
    no or invalid `cdr_location.evse_id`, unusable cdr_token, more than 10 signed values, a tariff id
    over 50 characters.
    Lost: currency, total_cost and every other cost field, tariffs, charging_periods detail,
    total_time, total_parking_time, auth_method, meter_id, remark, invoice_reference_id,
    home_charging_compensation, signed values' plain_data, country_code/party_id.
    """
    if cdr.get("credit"):
        raise Unmappable("credit", "OICP has no credit CDRs (one CDR per SessionID)")
    reference = session_id or cdr.get("authorization_reference")
    if not reference:
        raise Unmappable("authorization_reference", "no HBS SessionID: the session did not start through OICP")
    location = cdr.get("cdr_location") or {}
    if not location.get("evse_id"):
        raise Unmappable("cdr_location.evse_id", "OICP CDRs name the EVSE by EvseID and this CDR has none")
    start = parse_ocpi_time(cdr.get("start_date_time"), "start_date_time")
    end = parse_ocpi_time(cdr.get("end_date_time"), "end_date_time")
    charging_start, charging_end = _energy_window(cdr, start, end)
    tariff_ids = [p["tariff_id"] for p in cdr.get("charging_periods") or [] if p.get("tariff_id")]
    tariff_ids += [t["id"] for t in cdr.get("tariffs") or [] if t.get("id")]
    signed_values, verification = _signed(cdr.get("signed_data"))
    return ChargeDetailRecord(
        session_id=ids.session_id(str(reference), "authorization_reference"),
        cpo_partner_session_id=cdr.get("id") or cdr.get("session_id"),
        partner_product_id=ids.product_id(tariff_ids[0], "tariffs") if tariff_ids else None,
        evse_id=ids.evse_id(location["evse_id"], "cdr_location.evse_id"),
        identification=identification_from_token(cdr.get("cdr_token") or {}, "cdr_token"),
        charging_start=local_time(charging_start, time_zone),
        charging_end=local_time(charging_end, time_zone),
        session_start=local_time(start, time_zone),
        session_end=local_time(end, time_zone),
        consumed_energy=round(float(cdr.get("total_energy") or 0), 3),
        signed_metering_values=signed_values,
        calibration_law_verification_info=verification,
        hub_operator_id=ids.operator_id(hub_operator_id) if hub_operator_id else None,
        hub_provider_id=ids.provider_id(hub_provider_id) if hub_provider_id else None,
    )


def cdr_from_oicp(
    record: ChargeDetailRecord,
    *,
    party: PartyKey,
    token_owner: PartyKey,
    cdr_location: Json,
    auth_method: str,
    currency: str,
    now: datetime,
    pricing: PricingProductDataRecord | None = None,
    tariff: Json | None = None,
    cdr_token: Json | None = None,
) -> Json:
    """A Hubject CPO's ChargeDetailRecord as the OCPI CDR for our eMSP (id = session_id =
    authorization_reference = SessionID).

    `party`: the CPO owning the EvseID; `token_owner`: our eMSP; `cdr_location`: from the stored
    EvseDataRecord (`cdr_location_from_evse_record`); `auth_method`: from the session correlation.
    One charging period at ChargingStart (ENERGY = ConsumedEnergy, TIME = charging hours), a
    PARKING_TIME period from ChargingEnd to SessionEnd; total_time = SessionEnd - SessionStart.
    total_cost (excl. VAT only) is computed from `pricing` (the product of PartnerProductID), else 0
    with remark "price not provided by CPO"; `tariff` (the OCPI form of that product) is attached.
    `cdr_token`: the token as the session correlation knows it (an RFID card's contract_id does
    not travel in OICP); else it is built from the Identification.
    Raises Unmappable for a QR-code identification.
    Lost: MeterValueStart/End/InBetween, HubOperatorID, HubProviderID, CPO/EMPPartnerSessionID,
    SignedMeteringValue plain data (OCPI's mandatory plain_data is sent empty), the certificate id
    and verification instruction, the encoding version (kept inside encoding_method).
    """
    session_id = ids.session_id(record.session_id)
    charging_hours = hours_between(record.charging_start, record.charging_end)
    parking_hours = hours_between(record.charging_end, record.session_end)
    periods: list[Json] = [
        {
            "start_date_time": ocpi_time(record.charging_start),
            "dimensions": [
                {"type": "ENERGY", "volume": record.consumed_energy},
                {"type": "TIME", "volume": charging_hours},
            ],
        }
    ]
    if parking_hours > 0:
        periods.append(
            {
                "start_date_time": ocpi_time(record.charging_end),
                "dimensions": [{"type": "PARKING_TIME", "volume": parking_hours}],
            }
        )
    if tariff is not None:
        for period in periods:
            period["tariff_id"] = tariff["id"]
    cdr: Json = {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "id": session_id,
        "start_date_time": ocpi_time(record.session_start),
        "end_date_time": ocpi_time(record.session_end),
        "session_id": session_id,
        "cdr_token": cdr_token or cdr_token_from_identification(record.identification, owner=token_owner),
        "auth_method": auth_method,
        "authorization_reference": session_id,
        "cdr_location": cdr_location,
        "currency": currency,
        "charging_periods": periods,
        "total_energy": record.consumed_energy,
        "total_time": hours_between(record.session_start, record.session_end),
        "last_updated": ocpi_time(now),
    }
    if parking_hours > 0:
        cdr["total_parking_time"] = parking_hours
    if tariff is not None:
        cdr["tariffs"] = [tariff]
    if pricing is not None:
        cost = cost_from_pricing(
            pricing, energy_kwh=record.consumed_energy, charging_hours=charging_hours, parking_hours=parking_hours
        )
        cdr["total_cost"] = {"excl_vat": cost}
    else:
        cdr["total_cost"] = {"excl_vat": 0}
        cdr["remark"] = NO_PRICE_REMARK
    if record.signed_metering_values:
        cdr["signed_data"] = _ocpi_signed(record)
    return cdr


def _ocpi_signed(record: ChargeDetailRecord) -> Json:
    info = record.calibration_law_verification_info or CalibrationLawVerificationInfo()
    signed: Json = {
        "encoding_method": (info.metering_signature_encoding_format or "UNKNOWN")[:36],
        "signed_values": [
            {"nature": v.metering_status or "Progress", "plain_data": "", "signed_data": v.signed_metering_value or ""}
            for v in record.signed_metering_values or []
        ],
    }
    if info.public_key:
        signed["public_key"] = info.public_key
    if info.metering_signature_url:
        signed["url"] = info.metering_signature_url
    return signed
