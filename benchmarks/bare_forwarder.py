"""The floor of what a Python hop costs here (issue 12): Starlette and one aiohttp ClientSession,
served like the hub (uvicorn, httptools, uvloop). It forwards method, path, query, headers and
body to BARE_FORWARDER_UPSTREAM and relays the answer: no auth, no routing, no database.

Run: BARE_FORWARDER_UPSTREAM=http://127.0.0.1:P python -m uvicorn benchmarks.bare_forwarder:app \\
       --port Q --http httptools --loop uvloop --no-access-log
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

UPSTREAM = os.environ.get("BARE_FORWARDER_UPSTREAM", "http://127.0.0.1:8080")
_NOT_FORWARDED = {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=("Accept-Encoding",)) as http:
        app.state.http = http
        yield


async def forward(request: Request) -> Response:
    http: aiohttp.ClientSession = request.app.state.http
    headers = {k: v for k, v in request.headers.items() if k not in _NOT_FORWARDED}
    url = UPSTREAM + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body = await request.body()
    async with http.request(request.method, url, headers=headers, data=body or None) as reply:
        content = await reply.read()
        relayed = {k: v for k, v in reply.headers.items() if k.lower() not in _NOT_FORWARDED}
    return Response(content, status_code=reply.status, headers=relayed)


app = Starlette(
    routes=[Route("/{path:path}", forward, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])], lifespan=lifespan
)
