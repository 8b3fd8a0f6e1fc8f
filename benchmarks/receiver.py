"""A fast receiver for benchmarks: any GET returns the same ~1 KB OCPI envelope; any other method
(a push: PUT, PATCH, POST) reads the body and answers a bare success envelope.

Raw ASGI (no framework) so the receiver is not what is being measured.
Run: python -m uvicorn benchmarks.receiver:app --port P --http httptools --loop uvloop
"""

from __future__ import annotations

from typing import Any

import orjson

_LOCATION = {
    "country_code": "NL",
    "party_id": "CPA",
    "id": "LOC1",
    "publish": True,
    "name": "Benchmark street",
    "address": "Stationsplein 1",
    "city": "Amsterdam",
    "postal_code": "1012AB",
    "country": "NLD",
    "coordinates": {"latitude": "52.378900", "longitude": "4.900200"},
    "time_zone": "Europe/Amsterdam",
    "last_updated": "2026-01-01T00:00:00Z",
}
_BODY = orjson.dumps(
    {
        "data": [_LOCATION, {**_LOCATION, "id": "LOC2"}, {**_LOCATION, "id": "LOC3"}],
        "status_code": 1000,
        "timestamp": "2026-01-01T00:00:00Z",
    }
)
_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_BODY)).encode()),
    (b"x-total-count", b"3"),
    (b"x-limit", b"100"),
]


_PUSHED = orjson.dumps({"status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"})
_PUSHED_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_PUSHED)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["method"] not in ("GET", "HEAD"):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": _PUSHED_HEADERS})
        await send({"type": "http.response.body", "body": _PUSHED})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})


BODY = _BODY
BODY_BYTES = len(_BODY)
