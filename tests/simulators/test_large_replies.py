"""Large and split replies through the hub: a 10,000-EVSE CPO pulled page by page, and a reply
whose body arrives in two pieces (the hub once forwarded only the first piece: 4000)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.responses import StreamingResponse

from hub.types import InterfaceRole
from simulators import SimulatedCpo, SimulatedEmsp
from tests.simulators.conftest import MakeSim


async def test_a_ten_thousand_evse_cpo_pulled_through_the_hub(
    make_cpo: MakeSim, make_emsp: MakeSim, connect: Any
) -> None:
    cpo: SimulatedCpo = await make_cpo(evses=10_000, page_limit=100)
    emsp: SimulatedEmsp = await make_emsp()
    await connect(cpo, emsp)
    pulled, pages = await emsp.pull(cpo.party.key, limit=100)  # pages of about 150 KB
    assert [p.describe() for p in pages if not p.ok] == []
    assert len(pages) == 25 and len(pulled) == 2_500
    assert sum(len(loc["evses"]) for loc in pulled) == 10_000
    assert len({loc["id"] for loc in pulled}) == 2_500


async def test_a_reply_arriving_in_two_pieces_is_forwarded_whole(
    make_cpo: MakeSim, make_emsp: MakeSim, connect: Any
) -> None:
    cpo: SimulatedCpo = await make_cpo()
    emsp: SimulatedEmsp = await make_emsp()
    await connect(cpo, emsp)
    location = cpo.locations.get("LOC00001")
    body = json.dumps({"data": location, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}).encode()
    simulator = cpo.server.app

    async def in_two_pieces(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/sender/locations/LOC00001"):

            async def chunks() -> Any:
                yield body[:100]
                await asyncio.sleep(0.05)
                yield body[100:]

            headers = {"content-length": str(len(body))}
            await StreamingResponse(chunks(), media_type="application/json", headers=headers)(scope, receive, send)
            return
        await simulator(scope, receive, send)

    cpo.server.app = in_two_pieces
    await cpo.server.pause()
    await cpo.server.resume()
    reply = await emsp.send("GET", "locations", InterfaceRole.SENDER, "LOC00001", to=cpo.party.key)
    assert reply.ok, reply.describe()
    assert reply.data == location
