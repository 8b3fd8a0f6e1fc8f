"""Which flow a request belongs to, so its follow-ups stay on the route the flow started on
(upstream reference §3.4: an upstream hub may rewrite session ids and authorization references,
so a session started through hub A is only known to hub A).

`pin_key(request, receiver)` is pure: the session id (Sessions pushes and GETs, a CDR's
session_id, STOP_SESSION's session_id) or the authorization reference (START_SESSION, token
authorization) the request carries, scoped to the receiving party. None: not part of a flow.
"""

from __future__ import annotations

from hub.ocpi.request import NO_BODY, OcpiRequest
from hub.types import PartyKey

__all__ = ["pin_key"]

_MAX = 200


def pin_key(request: OcpiRequest, receiver: PartyKey) -> str | None:
    flow = _flow_of(request)
    if flow is None:
        return None
    key = f"{receiver}|{flow}"
    return key if len(key) <= _MAX else None


def _flow_of(request: OcpiRequest) -> str | None:
    body = request.parsed if request.parsed is not NO_BODY and isinstance(request.parsed, dict) else {}
    if request.module == "sessions":
        ids = request.path.object_ids
        if ids:
            return f"session:{ids[0]}"
        return _text("session", body.get("id"))
    if request.module == "cdrs":
        return _text("session", body.get("session_id"))
    if request.module == "commands":
        return _text("session", body.get("session_id")) or _text("auth", body.get("authorization_reference"))
    return None


def _text(kind: str, value: object) -> str | None:
    return f"{kind}:{value.upper()}" if isinstance(value, str) and value else None
