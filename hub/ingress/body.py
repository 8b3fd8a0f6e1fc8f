"""Reading a JSON request body: not JSON is HTTP 400 with status 2001 (status_codes.asciidoc 10)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from hub.errors import InvalidParameters

__all__ = ["parse_json", "read_json"]


def parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameters("Request body is not valid JSON", http_status=400) from exc


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise InvalidParameters("Request body is required", http_status=400)
    return parse_json(raw)
