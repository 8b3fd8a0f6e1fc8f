"""Bad input is answered with the right envelope, counted by reason, and the hub keeps serving."""

from __future__ import annotations

from starlette.applications import Starlette

from hub.observability.rejections import Rejections
from tests.conftest import StartFake
from tests.flows.test_routing import CPO, EMSP, connect_pair, functional, location


async def test_rejected_requests_are_counted_by_reason_and_others_still_served(
    hub_app: Starlette, connect_fake: StartFake
) -> None:
    rejections: Rejections = hub_app.state.rejections
    cpo, emsp = await connect_pair(connect_fake)
    base = cpo.hub_url("locations", "RECEIVER")
    bad = await cpo.request_hub("PUT", f"{base}/NL/CPA/%2e%2e", json=location(), to=EMSP)
    assert (bad.status_code, bad.json()["status_code"]) == (400, 2001)
    assert "location_id" in bad.json()["status_message"]
    spoofed = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER"), to=CPO, from_=("FR", "OTH"))
    assert spoofed.json()["status_code"] == 2001
    assert rejections.counts() == {"2001:InvalidParameters": 2}
    assert not functional(emsp) and not functional(cpo)
    good = await cpo.request_hub("PUT", f"{base}/NL/CPA/LOC1", json=location(), to=EMSP)
    assert good.json()["status_code"] == 1000, good.text


async def test_an_encoded_prefix_is_404_not_a_crash(hub_app: Starlette, connect_fake: StartFake) -> None:
    """The router matches the decoded path; the hub reads the raw one, where `sender%2Flocations`
    is one segment: a plain 404 envelope, never an internal error."""
    cpo, emsp = await connect_pair(connect_fake)
    base = emsp.hub_url("locations", "SENDER").rsplit("/", 2)[0]  # .../ocpi/2.2.1
    for tail in ("sender%2Flocations", "sender%2flocations%2FLOC1", "sender/loc%61tions/LOC1", "%73ender/locations"):
        reply = await emsp.request_hub("GET", f"{base}/{tail}", to=CPO)
        assert (reply.status_code, reply.json()["status_code"]) == (404, 2000), (tail, reply.text)
    assert not functional(cpo)
    good = await emsp.request_hub("GET", emsp.hub_url("locations", "SENDER"), to=CPO)
    assert good.json()["status_code"] == 1000, good.text
