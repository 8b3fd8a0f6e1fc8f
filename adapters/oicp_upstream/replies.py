"""OCPI replies made from OICP answers (the adapter's `UpstreamResponse`s).

Every OCPI-level outcome travels as HTTP 200 with an OCPI envelope, as a party would answer;
the send path reads the envelope: 4001 / 4003 let it fail over to another route (HBS does not know
or cannot reach the party: nothing was processed), 3xxx makes the outbox retry a broadcast later.

HTTP-level trouble at HBS (choices, see hub.forwarding.send and hub.broadcast.dispatcher):
- 429 (rate limit; not processed): HTTP 429 + Retry-After with status 4003, so a routed request
  fails over to another route if there is one, else the sender gets 4003 and sends it again; the
  outbox retries with back-off; the breaker is not charged (HBS is up).
- 5xx (HBS failed; may have processed): HTTP 502 with status 3000: the breaker counts a failure, an
  idempotent request fails over, a command is not sent twice; a push is stored and forwarded by
  the hub (hub.forwarding.store_forward) and the outbox retries it.
- other statuses (404, 405, 400: our request was not understood): HTTP 200 with status 3000 naming
  the HTTP status - a bug or a configuration error on our side, not the receiver's.
"""

from __future__ import annotations

from typing import Any

import orjson

from adapters.oicp.models import StatusCode
from adapters.oicp.status import ocpi_error
from hub.errors import OcpiError
from hub.forwarding.contract import UpstreamResponse
from hub.ocpi.envelope import ocpi_timestamp

__all__ = ["envelope", "from_error", "from_status", "hbs_failed", "hbs_refused", "ok", "throttled"]


def envelope(
    status_code: int, *, data: Any = None, message: str | None = None, http: int = 200, elapsed_ms: float = 0.0
) -> UpstreamResponse:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": ocpi_timestamp()}
    if message:
        body["status_message"] = message[:512]
    if data is not None:
        body["data"] = data
    return UpstreamResponse(
        status=http, headers={"content-type": "application/json"}, body=orjson.dumps(body), elapsed_ms=elapsed_ms
    )


def ok(data: Any = None, *, elapsed_ms: float = 0.0, message: str | None = None) -> UpstreamResponse:
    return envelope(1000, data=data, message=message, elapsed_ms=elapsed_ms)


def from_error(error: OcpiError, *, elapsed_ms: float = 0.0) -> UpstreamResponse:
    return envelope(error.status_code, message=error.message, elapsed_ms=elapsed_ms)


def from_status(status: StatusCode, *, elapsed_ms: float = 0.0) -> UpstreamResponse:
    """The OCPI answer for an acknowledgement with Result false (oicp-bridge.md §2)."""
    detail = "; ".join(t for t in (status.description, status.additional_info) if t)
    error = ocpi_error(status.code, detail or None)
    if error is None:  # a business outcome code where a plain acknowledgement was expected
        return envelope(2001, message=f"Refused by the OICP hub: status {status.code}", elapsed_ms=elapsed_ms)
    return from_error(error, elapsed_ms=elapsed_ms)


def throttled(retry_after: str | None) -> UpstreamResponse:
    reply = envelope(4003, message="The OICP hub is rate limiting this hub: send it again later", http=429)
    if retry_after:
        reply.headers["retry-after"] = retry_after
    return reply


def hbs_failed(status: int) -> UpstreamResponse:
    return envelope(3000, message=f"The OICP hub failed (HTTP {status})", http=502)


def hbs_refused(status: int) -> UpstreamResponse:
    return envelope(3000, message=f"The OICP hub did not take the request (HTTP {status})")
