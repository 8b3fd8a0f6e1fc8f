"""The OCPI response envelope {data, status_code, status_message, timestamp}.

transport_and_format.asciidoc (Response format): every response, errors included, is wrapped.
Timestamps are UTC with a `Z` designator, never `+00:00` (types.asciidoc, DateTime).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

from hub.errors import OcpiError

__all__ = ["envelope_bytes", "error_response", "ocpi_response", "ocpi_timestamp", "parse_envelope", "v211_status"]

SUCCESS = 1000


def ocpi_timestamp(moment: datetime | None = None) -> str:
    """An OCPI DateTime: `2015-06-29T20:39:09Z` (UTC, second precision)."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope_bytes(data: Any = None, *, status_code: int = SUCCESS, status_message: str | None = None) -> bytes:
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = status_code
    if status_message:
        body["status_message"] = status_message
    body["timestamp"] = ocpi_timestamp()
    return orjson.dumps(body)


def ocpi_response(
    data: Any = None,
    *,
    status_code: int = SUCCESS,
    status_message: str | None = None,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        envelope_bytes(data, status_code=status_code, status_message=status_message),
        status_code=http_status,
        headers=headers,
        media_type="application/json",
    )


def error_response(error: OcpiError, headers: dict[str, str] | None = None, *, v211: bool = False) -> Response:
    """`v211`: toward an OCPI 2.1.1 party, which knows no 2004 and no 4xxx (`v211_status`)."""
    if error.headers:  # the error's own headers (Retry-After of a 429 or 503) go with it
        headers = {**error.headers, **(headers or {})}
    return ocpi_response(
        status_code=v211_status(error.status_code) if v211 else error.status_code,
        status_message=error.message,
        http_status=error.http_status,
        headers=headers,
    )


def v211_status(code: int) -> int:
    """A status code as an OCPI 2.1.1 party reads it (requirements §5.1 POLICY): 2004 (unknown
    object, with its HTTP 404) becomes 2000, the hub errors 4000-4003 become 3000."""
    if code == 2004:
        return 2000
    if 4000 <= code < 5000:
        return 3000
    return code


def parse_envelope(body: bytes) -> dict[str, Any] | None:
    """A reply's parsed OCPI envelope, or None when it is not one (no integer status_code)."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    code = parsed.get("status_code")
    return parsed if isinstance(code, int) and not isinstance(code, bool) else None
