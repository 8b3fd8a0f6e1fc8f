"""Small valid OCPI 2.2.1 payloads for the validation tests (written here, not copied from the spec)."""

from __future__ import annotations

from typing import Any

STAMP = "2026-01-01T00:00:00Z"


def connector(**changes: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "tariff_ids": ["T1"],
        "last_updated": STAMP,
    } | changes


def evse(uid: str = "EVSE1", **changes: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": f"NL*CPA*E{uid}",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connectors": [connector(), connector(id="2", format="CABLE")],
        "physical_reference": "1",
        "last_updated": STAMP,
    } | changes


def location(id_: str = "LOC1", cc: str = "NL", pid: str = "CPA", **changes: Any) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": id_,
        "publish": True,
        "name": "Stationsplein",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012AB",
        "country": "NLD",
        "coordinates": {"latitude": "52.378900", "longitude": "4.900200"},
        "parking_type": "ON_STREET",
        "evses": [evse("EVSE1"), evse("EVSE2")],
        "operator": {"name": "Benchmark Charging"},
        "facilities": ["TRAIN_STATION", "CAFE"],
        "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True},
        "last_updated": STAMP,
    } | changes


def token(uid: str = "TOKEN-UID-1", **changes: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE-EMS-C12345678-X",
        "issuer": "EMSP Ltd",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
    } | changes


def envelope(data: Any = None, status_code: int = 1000) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": STAMP}
    if data is not None:
        body["data"] = data
    return body
