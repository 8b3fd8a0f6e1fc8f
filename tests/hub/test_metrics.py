"""`/metrics` through the front door: who may read it, and that routed traffic, the business view,
refusals and the database-backed gauges show up with bounded label values."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from tests.conftest import StartFake
from tests.flows.test_routing import EMSP, cdr, connect_pair
from tests.helpers import HUB_URL

TOKEN = "operator-secret-token"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """The sum over the series of `name` whose labels include `labels` (0.0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def _client(app: Starlette, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 4000)), base_url=HUB_URL)


async def test_without_an_operator_token_only_loopback_callers_read_metrics(hub_app: Starlette) -> None:
    async with _client(hub_app, "127.0.0.1") as local, _client(hub_app, "198.51.100.7") as remote:
        assert (await local.get("/metrics")).status_code == 200
        refused = await remote.get("/metrics")
        assert refused.status_code == 401 and "ocpi_hub" not in refused.text


@pytest.mark.hub_settings(operator_token=TOKEN)
async def test_with_an_operator_token_the_bearer_is_required_from_anywhere(hub_app: Starlette) -> None:
    async with _client(hub_app, "127.0.0.1") as local, _client(hub_app, "198.51.100.7") as remote:
        assert (await local.get("/metrics")).status_code == 401
        assert (await remote.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        allowed = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200 and "ocpi_hub_platforms" in allowed.text
        assert allowed.headers["content-type"].startswith("text/plain")


async def test_routed_traffic_business_view_and_refusals_are_counted(
    hub_app: Starlette, hub_client: httpx.AsyncClient, connect_fake: StartFake
) -> None:
    cpo, emsp = await connect_pair(connect_fake)
    for n in range(3):
        reply = await cpo.request_hub("POST", cpo.hub_url("cdrs", "RECEIVER"), json=cdr(f"CDR{n}"), to=EMSP)
        assert reply.json()["status_code"] == 1000, reply.text
    start: dict[str, Any] = {
        "response_url": f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/cmd-1",
        "token": {
            "country_code": "DE",
            "party_id": "EMS",
            "uid": "TOK1",
            "type": "RFID",
            "contract_id": "DE-EMS-C1",
            "issuer": "eMSP",
            "valid": True,
            "whitelist": "ALWAYS",
            "last_updated": "2026-01-01T10:00:00Z",
        },
        "location_id": "LOC1",
    }
    command = await emsp.request_hub(
        "POST", f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION", json=start, to=("NL", "CPA")
    )
    assert command.json()["status_code"] == 1000, command.text
    bad = await cpo.request_hub("POST", cpo.hub_url("cdrs", "RECEIVER"), json={"id": 1}, to=EMSP)
    assert bad.json()["status_code"] == 2001
    await hub_client.get("/no/such/path/x1")
    unknown = await hub_client.get("/ocpi/2.2.1/sender/locations", headers={"Authorization": "Token bm9wZQ=="})
    assert unknown.status_code == 401
    await hub_client.get("/ocpi/2.2.1/receiver/locations/NL/CPA/a-personal-id")

    samples = _samples((await hub_client.get("/metrics")).text)
    assert _value(samples, "ocpi_hub_cdrs_total", cpo="NL*CPA", emsp="DE*EMS") == 3
    assert _value(samples, "ocpi_hub_cdr_energy_kwh_total", cpo="NL*CPA") == 30.0
    assert _value(samples, "ocpi_hub_cdr_cost_total", cpo="NL*CPA", currency="EUR") == 7.5
    assert _value(samples, "ocpi_hub_commands_total", command="START_SESSION", result="ACCEPTED") == 1
    routed = _value(
        samples, "ocpi_hub_routed_requests_total", module="cdrs", method="POST", from_party="NL*CPA", to_party="DE*EMS"
    )
    assert routed == 4  # three accepted, one refused by validation before leaving the hub
    assert _value(samples, "ocpi_hub_receiver_seconds_count", module="cdrs") == 3
    assert _value(samples, "ocpi_hub_routed_requests_total", module="cdrs", ocpi_status="2001") == 1
    assert _value(samples, "ocpi_hub_refused_requests", reason="2000:AuthError") == 2  # both unauthenticated GETs
    assert _value(samples, "ocpi_hub_platforms", status="CONNECTED") == 2
    assert ("ocpi_hub_outbox_dead", ()) in samples
    # label values from a closed set: neither a garbage path nor a personal id becomes a label
    paths = {dict(ls).get("path") for (n, ls) in samples if n == "ocpi_hub_http_requests_total"}
    assert "other" in paths and "/ocpi/2.2.1/receiver/locations" in paths
    assert not any(p and ("x1" in p or "a-personal-id" in p) for p in paths), paths
