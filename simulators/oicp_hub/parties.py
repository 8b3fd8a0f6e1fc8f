"""Who talks to the simulated hub.

`Partner`     the party under test (our hub through its OICP adapter): its hub OperatorID and/or
              ProviderID with the sub-IDs registered behind them, the URL the hub calls it at, the
              certificate common name (mTLS) or header value (plain HTTP) that identifies it.
`VirtualCpo`  a charge point operator behind the hub: EVSEs (pushed into the hub's store at start),
              how it answers remote starts/stops and reservations relayed to it.
`VirtualEmp`  a mobility provider behind the hub: which RFID UIDs / EvcoIDs it authorizes or
              blocks, online (answers in real time) or offline (authorized from uploaded data).
`Contracts`   the service-contract matrix (CPO offer <-> EMP subscription); missing -> `210`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from simulators.oicp_hub.ids import canonical

__all__ = ["Contracts", "Partner", "VirtualCpo", "VirtualEmp", "make_evse_record"]


@dataclass
class Partner:
    """The connected partner. `url` is its OICP endpoint base (the hub appends `/api/oicp/...`)."""

    name: str
    operator_id: str | None = None
    provider_id: str | None = None
    sub_operator_ids: tuple[str, ...] = ()
    sub_provider_ids: tuple[str, ...] = ()
    url: str | None = None
    online_emp: bool = True  # False: authorized from its uploaded data, CDRs kept for GetChargeDetailRecords
    cert_name: str | None = None  # client certificate common name (mTLS); defaults to `name`

    @property
    def operator_keys(self) -> set[str]:
        """Canonical IDs whose EVSEs this partner may push (hub ID plus sub-operators)."""
        own = [self.operator_id] if self.operator_id else []
        return {canonical(i) for i in (*own, *self.sub_operator_ids)}

    @property
    def provider_keys(self) -> set[str]:
        own = [self.provider_id] if self.provider_id else []
        return {canonical(i) for i in (*own, *self.sub_provider_ids)}

    @property
    def identity(self) -> str:
        return self.cert_name or self.name


@dataclass
class VirtualCpo:
    """A CPO behind the hub. Remote-start answers: `Result` = `accept`, StatusCode `code` (default
    `000` when accepted, `501` otherwise), after `delay` seconds; `reachable=False` = no answer."""

    operator_id: str
    name: str = "Virtual CPO"
    evses: list[dict[str, Any]] = field(default_factory=list)
    accept: bool = True
    code: str | None = None
    delay: float = 0.0
    reachable: bool = True
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (operation, body)

    @property
    def key(self) -> str:
        return canonical(self.operator_id)

    async def answer(self, operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The CPO's acknowledgement of a relayed command (None: it did not answer)."""
        self.received.append((operation, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self.reachable:
            return None
        code = self.code or ("000" if self.accept else "501")
        return {"Result": self.accept, "StatusCode": {"Code": code}, "SessionID": body.get("SessionID")}


@dataclass
class VirtualEmp:
    """An EMP behind the hub. `allowed`/`blocked`: RFID UIDs and EvcoIDs (any case). `online=False`
    makes its `allowed` tokens count as uploaded authentication data (the hub authorizes them)."""

    provider_id: str
    name: str = "Virtual EMP"
    allowed: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    online: bool = True
    reachable: bool = True
    delay: float = 0.0
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (operation, body)

    @property
    def key(self) -> str:
        return canonical(self.provider_id)

    def knows(self, token: str) -> bool:
        token = token.upper()
        return token in {t.upper() for t in self.allowed | self.blocked}

    async def answer_authorize(self, operation: str, body: dict[str, Any], token: str) -> dict[str, Any] | None:
        """eRoamingAuthorizationStart/Stop for `token` (None: it did not answer)."""
        self.received.append((operation, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self.reachable:
            return None
        token = token.upper()
        if token in {t.upper() for t in self.blocked}:
            status, code = "NotAuthorized", "200"
        elif token in {t.upper() for t in self.allowed}:
            status, code = "Authorized", "000"
        else:
            status, code = "NotAuthorized", "102" if len(token) in (8, 14, 20) and "-" not in token else "105"
        answer: dict[str, Any] = {"AuthorizationStatus": status, "StatusCode": {"Code": code}}
        if status == "Authorized":
            answer["ProviderID"] = self.provider_id
        return answer

    def accept(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """The acknowledgement of a forwarded notification or CDR."""
        self.received.append((operation, body))
        return {"Result": True, "StatusCode": {"Code": "000"}}


@dataclass
class Contracts:
    """Service contracts between operators and providers (canonical IDs). `allow_all` (default):
    every pair has one except those in `missing`; otherwise only those in `present`."""

    allow_all: bool = True
    present: set[tuple[str, str]] = field(default_factory=set)
    missing: set[tuple[str, str]] = field(default_factory=set)

    def has(self, operator_id: str, provider_id: str) -> bool:
        pair = (canonical(operator_id), canonical(provider_id))
        if self.allow_all:
            return pair not in self.missing
        return pair in self.present

    def remove(self, operator_id: str, provider_id: str) -> None:
        pair = (canonical(operator_id), canonical(provider_id))
        self.missing.add(pair)
        self.present.discard(pair)

    def add(self, operator_id: str, provider_id: str) -> None:
        pair = (canonical(operator_id), canonical(provider_id))
        self.present.add(pair)
        self.missing.discard(pair)


def make_evse_record(evse_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid OICP 2.3 EvseDataRecord (a Type 2 AC EVSE in Berlin) with `overrides` applied."""
    record: dict[str, Any] = {
        "EvseID": evse_id,
        "ChargingStationNames": [{"lang": "en", "value": f"Station {evse_id}"}],
        "Address": {
            "Country": "DEU",
            "City": "Berlin",
            "Street": "Invalidenstrasse",
            "PostalCode": "10115",
            "HouseNum": "12",
            "TimeZone": "UTC+01:00",
        },
        "GeoCoordinates": {"DecimalDegree": {"Latitude": "52.530000", "Longitude": "13.380000"}},
        "Plugs": ["Type 2 Outlet"],
        "ChargingFacilities": [{"PowerType": "AC_3_PHASE", "Voltage": 230, "Amperage": 32, "Power": 22}],
        "RenewableEnergy": False,
        "CalibrationLawDataAvailability": "Local",
        "AuthenticationModes": ["NFC RFID Classic", "REMOTE"],
        "PaymentOptions": ["Contract"],
        "ValueAddedServices": ["None"],
        "Accessibility": "Free publicly accessible",
        "HotlinePhoneNumber": "+4930123456",
        "IsOpen24Hours": True,
        "IsHubjectCompatible": True,
        "DynamicInfoAvailable": "auto",
    }
    record.update(overrides)
    return record
