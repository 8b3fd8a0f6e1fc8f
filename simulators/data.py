"""Generated OCPI data for the simulated parties, deterministic from a seed, in each edition.

    locations = make_locations(PartyKey.of("NL", "CPO"), evses=10_000)   # 2,500 locations x 4 EVSEs
    tariffs = make_tariffs(PartyKey.of("NL", "CPO"))                   # "AC" and "DC"
    tokens = make_tokens(PartyKey.of("DE", "MSP"), count=1_000)
    make_locations(..., version="2.1.1")                               # the same sites as 2.1.1 objects

`version` ("2.1.1", "2.2.1" default, "2.3.0") writes each object in that edition's own shape,
built here field by field (not translated from another edition):
- 2.1.1: no country_code/party_id in objects; Location `type` (LocationType), Connector
  `voltage`/`amperage`/`tariff_id`; PriceComponent without `vat`; Token `auth_id` (the contract
  id) and type RFID or OTHER (app users).
- 2.3.0: the 2.2.1 shapes plus Tariff `tax_included` ("NO": prices exclude VAT), Location
  `help_phone` and `parking_places` (one Parking per EVSE, referred to by EVSE `parking`),
  Connector `capabilities` for the CCS connectors.
The same arguments give the same sites, ids and times in every edition.

The same arguments always give the same objects (ids, coordinates, `last_updated`), so runs,
tests and load tests repeat. `last_updated` values lie in the past, one second apart, in the
order the objects are generated; a simulator bumps them to "now" when it changes an object.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.types import PartyKey

__all__ = [
    "BASE_TIME",
    "VERSIONS",
    "Region",
    "check_version",
    "make_locations",
    "make_tariffs",
    "make_tokens",
    "region_of",
    "stamp",
]

Obj = dict[str, Any]
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
VERSIONS = ("2.1.1", "2.2.1", "2.3.0")  # the OCPI editions a simulated party can speak


def check_version(version: str) -> str:
    """`version` if the simulators speak it, else ValueError."""
    if version not in VERSIONS:
        raise ValueError(f"unsupported OCPI version {version!r} (one of {', '.join(VERSIONS)})")
    return version


def stamp(moment: datetime | None = None) -> str:
    """An OCPI DateTime in UTC with milliseconds (`2025-01-01T00:00:00.000Z`): two updates in
    the same second still order correctly."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Region:
    country: str  # ISO 3166 alpha-3
    time_zone: str
    centre: tuple[float, float]
    cities: tuple[str, ...]
    language: str


_REGIONS: dict[str, Region] = {
    "NL": Region("NLD", "Europe/Amsterdam", (52.37, 4.89), ("Amsterdam", "Utrecht", "Rotterdam", "Eindhoven"), "nl"),
    "DE": Region("DEU", "Europe/Berlin", (52.52, 13.40), ("Berlin", "Hamburg", "Munich", "Cologne"), "de"),
    "BE": Region("BEL", "Europe/Brussels", (50.85, 4.35), ("Brussels", "Antwerp", "Ghent", "Leuven"), "nl"),
    "FR": Region("FRA", "Europe/Paris", (48.86, 2.35), ("Paris", "Lyon", "Lille", "Nantes"), "fr"),
    "GB": Region("GBR", "Europe/London", (51.51, -0.13), ("London", "Leeds", "Bristol", "Manchester"), "en"),
    "AT": Region("AUT", "Europe/Vienna", (48.21, 16.37), ("Vienna", "Graz", "Linz", "Salzburg"), "de"),
    "CH": Region("CHE", "Europe/Zurich", (47.37, 8.54), ("Zurich", "Basel", "Bern", "Geneva"), "de"),
    "DK": Region("DNK", "Europe/Copenhagen", (55.68, 12.57), ("Copenhagen", "Aarhus", "Odense", "Aalborg"), "da"),
    "ES": Region("ESP", "Europe/Madrid", (40.42, -3.70), ("Madrid", "Barcelona", "Valencia", "Seville"), "es"),
    "IT": Region("ITA", "Europe/Rome", (41.90, 12.50), ("Rome", "Milan", "Turin", "Bologna"), "it"),
}
_STREETS = (
    "Stationsweg",
    "Kerkstraat",
    "Dorpsstraat",
    "Molenweg",
    "Havenkade",
    "Parklaan",
    "Marktplein",
    "Schoolstraat",
)


def region_of(country_code: str) -> Region:
    return _REGIONS.get(country_code.upper(), _REGIONS["NL"])


def _rng(party: PartyKey, seed: int, what: str) -> random.Random:
    return random.Random(zlib.crc32(f"{party}:{what}".encode()) ^ seed)


def _at(index: int) -> str:
    return stamp(BASE_TIME + timedelta(seconds=index))


def _component(kind: str, price: float, step_size: int, version: str) -> Obj:
    component: Obj = {"type": kind, "price": price}
    if version != "2.1.1":
        component["vat"] = 21.0  # 2.1.1 PriceComponent has no vat
    component["step_size"] = step_size
    return component


def _tariff(
    party: PartyKey, tariff_id: str, currency: str, text: str, parts: list[Obj], index: int, version: str
) -> Obj:
    tariff: Obj = {} if version == "2.1.1" else {"country_code": party.country_code, "party_id": party.party_id}
    tariff["id"] = tariff_id
    tariff["currency"] = currency
    if version != "2.1.1":
        tariff["type"] = "REGULAR"
    tariff["tariff_alt_text"] = [{"language": "en", "text": text}]
    tariff["elements"] = [{"price_components": [c]} for c in parts]
    if version == "2.3.0":
        tariff["tax_included"] = "NO"
    tariff["last_updated"] = _at(index)
    return tariff


def make_tariffs(party: PartyKey, *, currency: str = "EUR", version: str = "2.2.1") -> list[Obj]:
    """Two tariffs: "AC" (start fee, energy and time) and "DC" (start fee and energy), VAT 21 %
    (2.1.1 tariffs carry no VAT; their prices are the same amounts excl. VAT)."""
    check_version(version)
    return [
        _tariff(
            party,
            "AC",
            currency,
            "0.50 start, 0.25/kWh, 2.00/h charging (excl. VAT)",
            [
                _component("FLAT", 0.50, 1, version),
                _component("ENERGY", 0.25, 1, version),
                _component("TIME", 2.00, 60, version),
            ],
            0,
            version,
        ),
        _tariff(
            party,
            "DC",
            currency,
            "1.00 start, 0.59/kWh (excl. VAT)",
            [_component("FLAT", 1.00, 1, version), _component("ENERGY", 0.59, 1, version)],
            1,
            version,
        ),
    ]


def _connector(
    last_updated: str,
    version: str,
    *,
    connector_id: str,
    standard: str,
    format_: str,
    power_type: str,
    volts: int,
    amps: int,
    watts: int,
    tariff: str,
) -> Obj:
    connector: Obj = {"id": connector_id, "standard": standard, "format": format_, "power_type": power_type}
    if version == "2.1.1":
        # 2.1.1 voltage is line to neutral for AC_3_PHASE; one tariff_id
        connector |= {"voltage": 230 if power_type == "AC_3_PHASE" else volts, "amperage": amps, "tariff_id": tariff}
    else:
        connector |= {"max_voltage": volts, "max_amperage": amps, "max_electric_power": watts, "tariff_ids": [tariff]}
        if version == "2.3.0" and standard.endswith("_COMBO"):
            connector["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
    connector["last_updated"] = last_updated
    return connector


def _ac_connector(last_updated: str, version: str = "2.2.1") -> Obj:
    return _connector(
        last_updated,
        version,
        connector_id="1",
        standard="IEC_62196_T2",
        format_="SOCKET",
        power_type="AC_3_PHASE",
        volts=400,
        amps=16,
        watts=11_000,
        tariff="AC",
    )


def _dc_connectors(last_updated: str, version: str = "2.2.1") -> list[Obj]:
    return [
        _connector(
            last_updated,
            version,
            connector_id="1",
            standard="IEC_62196_T2_COMBO",
            format_="CABLE",
            power_type="DC",
            volts=920,
            amps=125,
            watts=50_000,
            tariff="DC",
        ),
        _connector(
            last_updated,
            version,
            connector_id="2",
            standard="CHADEMO",
            format_="CABLE",
            power_type="DC",
            volts=500,
            amps=100,
            watts=50_000,
            tariff="DC",
        ),
    ]


def max_power_kw(connector: Obj) -> float:
    """A connector's maximum power in kW, in any edition (2.1.1: voltage x amperage, x3 for 3 phases)."""
    if connector.get("max_electric_power") is not None:
        return float(connector["max_electric_power"]) / 1000
    if connector.get("voltage") is not None and connector.get("amperage") is not None:
        phases = 3 if connector.get("power_type") == "AC_3_PHASE" else 1
        return float(connector["voltage"]) * float(connector["amperage"]) * phases / 1000
    return 11.0


def connector_tariff_id(connector: Obj) -> str | None:
    """The tariff a connector refers to (2.1.1 `tariff_id`, 2.2+ the first of `tariff_ids`)."""
    if connector.get("tariff_id"):
        return str(connector["tariff_id"])
    ids = connector.get("tariff_ids") or []
    return str(ids[0]) if ids else None


def make_locations(
    party: PartyKey, *, evses: int, evses_per_location: int = 4, seed: int = 0, version: str = "2.2.1"
) -> list[Obj]:
    """`evses` EVSEs in locations of `evses_per_location` (the last one may be smaller).
    One location in five is a fast-charging (DC) site; the others have 11 kW AC sockets."""
    check_version(version)
    if evses < 1 or evses_per_location < 1:
        raise ValueError("evses and evses_per_location must be at least 1")
    rng = _rng(party, seed, "locations")
    region = region_of(party.country_code)
    capabilities = ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "UNLOCK_CAPABLE", "CHARGING_PROFILE_CAPABLE"]
    found: list[Obj] = []
    count = (evses + evses_per_location - 1) // evses_per_location
    for index in range(count):
        number = index + 1
        location_id = f"LOC{number:05d}"
        updated = _at(10 + index)
        fast = rng.random() < 0.2
        size = min(evses_per_location, evses - index * evses_per_location)
        lat = region.centre[0] + rng.uniform(-0.2, 0.2)
        lon = region.centre[1] + rng.uniform(-0.3, 0.3)
        site_evses = []
        for e in range(1, size + 1):
            evse: Obj = {
                "uid": f"{location_id}-{e}",
                "evse_id": f"{party.country_code}*{party.party_id}*E{number:05d}*{e}",
                "status": "AVAILABLE",
                "capabilities": capabilities,
                "connectors": _dc_connectors(updated, version) if fast else [_ac_connector(updated, version)],
                "physical_reference": str(e),
            }
            if version == "2.3.0":
                evse["parking"] = [{"parking_id": f"{location_id}-P{e}", "evse_position": "CENTER"}]
            evse["last_updated"] = updated
            site_evses.append(evse)
        location: Obj = {}
        if version != "2.1.1":
            location |= {"country_code": party.country_code, "party_id": party.party_id}
        location["id"] = location_id
        if version == "2.1.1":
            location["type"] = "PARKING_LOT" if fast else "ON_STREET"
        else:
            location["publish"] = True
        location |= {
            "name": f"{'Fast charging' if fast else 'Charging'} {rng.choice(region.cities)} {number}",
            "address": f"{rng.choice(_STREETS)} {rng.randint(1, 250)}",
            "city": rng.choice(region.cities),
            "postal_code": f"{rng.randint(1000, 9999)}",
            "country": region.country,
            "coordinates": {"latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}"},
        }
        if version != "2.1.1":
            location["parking_type"] = "ALONG_MOTORWAY" if fast else "ON_STREET"
        location["evses"] = site_evses
        if version == "2.3.0":
            location["parking_places"] = [
                {
                    "id": f"{location_id}-P{e}",
                    "physical_reference": str(e),
                    "vehicle_types": ["PERSONAL_VEHICLE"],
                    "restricted_to_type": False,
                    "reservation_required": False,
                }
                for e in range(1, size + 1)
            ]
            location["help_phone"] = "+31201234567"
        location |= {
            "operator": {"name": f"Simulated CPO {party}"},
            "time_zone": region.time_zone,
            "opening_times": {"twentyfourseven": True},
            "last_updated": updated,
        }
        found.append(location)
    return found


def make_tokens(party: PartyKey, *, count: int, seed: int = 0, version: str = "2.2.1") -> list[Obj]:
    """`count` tokens: RFID cards (one in ten an app user: 2.1.1 type OTHER), one in twenty not
    valid; whitelist ALLOWED (real-time authorization preferred), one in four NEVER (always ask
    the eMSP). 2.1.1 tokens carry the contract id as `auth_id` and no country_code/party_id."""
    check_version(version)
    if count < 1:
        raise ValueError("count must be at least 1")
    rng = _rng(party, seed, "tokens")
    region = region_of(party.country_code)
    found: list[Obj] = []
    for index in range(count):
        number = index + 1
        app = number % 10 == 0
        uid = f"{party.party_id}{number:08d}{rng.randrange(16**4):04X}"
        contract_id = f"{party.country_code}-{party.party_id}-C{number:08d}-{number % 10}"
        token: Obj = {}
        if version == "2.1.1":
            token |= {"uid": uid, "type": "OTHER" if app else "RFID", "auth_id": contract_id}
        else:
            token |= {
                "country_code": party.country_code,
                "party_id": party.party_id,
                "uid": uid,
                "type": "APP_USER" if app else "RFID",
                "contract_id": contract_id,
            }
        token |= {
            "visual_number": f"{party.party_id}-{number:08d}",
            "issuer": f"Simulated eMSP {party}",
            "valid": number % 20 != 5,
            "whitelist": "NEVER" if number % 4 == 0 else "ALLOWED",
            "language": region.language,
            "last_updated": _at(10 + index),
        }
        found.append(token)
    return found
