"""Generated OCPI 2.2.1 data for the simulated parties, deterministic from a seed.

    locations = make_locations(PartyKey.of("NL", "CPO"), evses=10_000)   # 2,500 locations x 4 EVSEs
    tariffs = make_tariffs(PartyKey.of("NL", "CPO"))                   # "AC" and "DC"
    tokens = make_tokens(PartyKey.of("DE", "MSP"), count=1_000)

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

__all__ = ["BASE_TIME", "Region", "make_locations", "make_tariffs", "make_tokens", "region_of", "stamp"]

Obj = dict[str, Any]
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)


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


def make_tariffs(party: PartyKey, *, currency: str = "EUR") -> list[Obj]:
    """Two tariffs: "AC" (start fee, energy and time) and "DC" (start fee and energy), VAT 21 %."""
    owner = {"country_code": party.country_code, "party_id": party.party_id}
    return [
        {
            **owner,
            "id": "AC",
            "currency": currency,
            "type": "REGULAR",
            "tariff_alt_text": [{"language": "en", "text": "0.50 start, 0.25/kWh, 2.00/h charging (excl. VAT)"}],
            "elements": [
                {"price_components": [{"type": "FLAT", "price": 0.50, "vat": 21.0, "step_size": 1}]},
                {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}]},
                {"price_components": [{"type": "TIME", "price": 2.00, "vat": 21.0, "step_size": 60}]},
            ],
            "last_updated": _at(0),
        },
        {
            **owner,
            "id": "DC",
            "currency": currency,
            "type": "REGULAR",
            "tariff_alt_text": [{"language": "en", "text": "1.00 start, 0.59/kWh (excl. VAT)"}],
            "elements": [
                {"price_components": [{"type": "FLAT", "price": 1.00, "vat": 21.0, "step_size": 1}]},
                {"price_components": [{"type": "ENERGY", "price": 0.59, "vat": 21.0, "step_size": 1}]},
            ],
            "last_updated": _at(1),
        },
    ]


def _ac_connector(last_updated: str) -> Obj:
    return {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 400,
        "max_amperage": 16,
        "max_electric_power": 11_000,
        "tariff_ids": ["AC"],
        "last_updated": last_updated,
    }


def _dc_connectors(last_updated: str) -> list[Obj]:
    return [
        {
            "id": "1",
            "standard": "IEC_62196_T2_COMBO",
            "format": "CABLE",
            "power_type": "DC",
            "max_voltage": 920,
            "max_amperage": 125,
            "max_electric_power": 50_000,
            "tariff_ids": ["DC"],
            "last_updated": last_updated,
        },
        {
            "id": "2",
            "standard": "CHADEMO",
            "format": "CABLE",
            "power_type": "DC",
            "max_voltage": 500,
            "max_amperage": 100,
            "max_electric_power": 50_000,
            "tariff_ids": ["DC"],
            "last_updated": last_updated,
        },
    ]


def make_locations(party: PartyKey, *, evses: int, evses_per_location: int = 4, seed: int = 0) -> list[Obj]:
    """`evses` EVSEs in locations of `evses_per_location` (the last one may be smaller).
    One location in five is a fast-charging (DC) site; the others have 11 kW AC sockets."""
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
            site_evses.append(
                {
                    "uid": f"{location_id}-{e}",
                    "evse_id": f"{party.country_code}*{party.party_id}*E{number:05d}*{e}",
                    "status": "AVAILABLE",
                    "capabilities": capabilities,
                    "connectors": _dc_connectors(updated) if fast else [_ac_connector(updated)],
                    "physical_reference": str(e),
                    "last_updated": updated,
                }
            )
        found.append(
            {
                "country_code": party.country_code,
                "party_id": party.party_id,
                "id": location_id,
                "publish": True,
                "name": f"{'Fast charging' if fast else 'Charging'} {rng.choice(region.cities)} {number}",
                "address": f"{rng.choice(_STREETS)} {rng.randint(1, 250)}",
                "city": rng.choice(region.cities),
                "postal_code": f"{rng.randint(1000, 9999)}",
                "country": region.country,
                "coordinates": {"latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}"},
                "parking_type": "ALONG_MOTORWAY" if fast else "ON_STREET",
                "evses": site_evses,
                "operator": {"name": f"Simulated CPO {party}"},
                "time_zone": region.time_zone,
                "opening_times": {"twentyfourseven": True},
                "last_updated": updated,
            }
        )
    return found


def make_tokens(party: PartyKey, *, count: int, seed: int = 0) -> list[Obj]:
    """`count` tokens: RFID cards (one in ten an app user), one in twenty not valid; whitelist
    ALLOWED (real-time authorization preferred), one in four NEVER (always ask the eMSP)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    rng = _rng(party, seed, "tokens")
    region = region_of(party.country_code)
    found: list[Obj] = []
    for index in range(count):
        number = index + 1
        app = number % 10 == 0
        found.append(
            {
                "country_code": party.country_code,
                "party_id": party.party_id,
                "uid": f"{party.party_id}{number:08d}{rng.randrange(16**4):04X}",
                "type": "APP_USER" if app else "RFID",
                "contract_id": f"{party.country_code}-{party.party_id}-C{number:08d}-{number % 10}",
                "visual_number": f"{party.party_id}-{number:08d}",
                "issuer": f"Simulated eMSP {party}",
                "valid": number % 20 != 5,
                "whitelist": "NEVER" if number % 4 == 0 else "ALLOWED",
                "language": region.language,
                "last_updated": _at(10 + index),
            }
        )
    return found
