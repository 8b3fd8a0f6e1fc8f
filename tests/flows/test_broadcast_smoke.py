"""Smoke: a broadcast reaches the eMSP through the outbox; GET All serves it from the store."""

from __future__ import annotations

from typing import Any

from tests.helpers import HUB_URL

HUB = ("NL", "HUB")
LOCATION = {
    "country_code": "NL",
    "party_id": "CPA",
    "id": "LOC1",
    "publish": True,
    "address": "Street 1",
    "city": "Town",
    "country": "NLD",
    "coordinates": {"latitude": "52.000000", "longitude": "4.000000"},
    "time_zone": "Europe/Amsterdam",
    "last_updated": "2026-01-01T00:00:00Z",
}


async def test_broadcast_then_get_all(connect_fake: Any) -> None:
    emsp = await connect_fake([("EMSP", "DE", "EMS")])
    cpo = await connect_fake([("CPO", "NL", "CPA")])
    url = f"{HUB_URL}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    reply = await cpo.request_hub("PUT", url, json=LOCATION, to=HUB)
    assert reply.json()["status_code"] == 1000, reply.text
    assert reply.headers["ocpi-from-party-id"] == "HUB"
    await emsp.wait_for(lambda: any(r.path.endswith("/NL/CPA/LOC1") for r in emsp.requests), timeout=10)
    pushed = next(r for r in emsp.requests if r.path.endswith("/NL/CPA/LOC1"))
    assert pushed.headers["ocpi-from-party-id"] == "HUB"
    assert pushed.headers["ocpi-to-party-id"] == "EMS"
    listing = await emsp.request_hub("GET", f"{HUB_URL}/ocpi/2.2.1/sender/locations", to=HUB)
    assert listing.json()["data"][0]["id"] == "LOC1", listing.text
    assert listing.headers["x-total-count"] == "1"
