"""Talking to a simulator directly (no hub): through httpx.ASGITransport, as the hub would."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.platform import OcpiPlatform

HUB_TOKEN = "token-the-hub-presents"
SIM_URL = "http://sim.test"
RESULTS_URL = "http://results.test"
HUB_PARTY = {"OCPI-from-country-code": "NL", "OCPI-from-party-id": "HUB"}


def auth(token: str = HUB_TOKEN) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def routing(from_: tuple[str, str], to: tuple[str, str]) -> dict[str, str]:
    return {
        "OCPI-from-country-code": from_[0],
        "OCPI-from-party-id": from_[1],
        "OCPI-to-country-code": to[0],
        "OCPI-to-party-id": to[1],
    }


def direct(platform: OcpiPlatform) -> httpx.AsyncClient:
    """A client that reaches `platform` in process, as a hub registered with HUB_TOKEN would."""
    platform.base_url = SIM_URL
    platform.inbound_token = HUB_TOKEN
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=platform), base_url=SIM_URL, headers=auth())


@dataclass
class Recorder:
    """An endpoint for response_urls: records each POST and answers OCPI 1000."""

    received: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def record(request: Request) -> Response:
            self.received.append((request.url.path, dict(request.headers), json.loads(await request.body() or b"null")))
            return Response(b'{"status_code":1000,"timestamp":"2025-01-01T00:00:00Z"}', media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", record, methods=["POST", "PUT", "PATCH"])])

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(mounts={RESULTS_URL: httpx.ASGITransport(app=self.app())})
