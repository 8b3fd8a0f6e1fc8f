from __future__ import annotations

from typing import Any

import orjson

from tests.conftest import StartFake
from tests.validation.payloads import location


async def test_repro(connect_fake: StartFake, hub_app: Any, capture_hub_logs: list[dict[str, Any]]) -> None:
    cpo = await connect_fake([("CPO", "NL", "CPA")], name="cpo-a")
    await connect_fake([("EMSP", "DE", "EMS")], name="emsp-b")
    deep = b'{"n": ' * 900 + b"1" + b"}" * 900
    body = orjson.dumps(location())[:-1] + b', "x_vendor": ' + deep + b"}"
    url = cpo.hub_url("locations", "RECEIVER")
    ok = await cpo.request_hub("PUT", url + "/NL/CPA/LOC2", json=location("LOC2"), to=("DE", "EMS"))
    reply = await cpo.request_hub(
        "PUT", url + "/NL/CPA/LOC1", content=body, headers={"Content-Type": "application/json"}, to=("DE", "EMS")
    )
    print("STATUS", ok.status_code, reply.status_code, reply.json())
    await hub_app.state.hub.store_writer.drain() if hasattr(hub_app.state.hub, "store_writer") else None
    print("EVENTS", [e for e in capture_hub_logs if "store" in e["event"]])
