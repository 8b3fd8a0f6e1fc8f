"""Small OCPI 2.2.1 helpers for the fake platforms, written independently of `hub.ocpi`
(a fake that shared the hub's code would share its bugs)."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.responses import Response

__all__ = [
    "ROLE_ENDPOINTS",
    "RecordedRequest",
    "SentCallback",
    "decode_token",
    "dumps",
    "encode_token",
    "envelope",
    "new_id",
    "new_token",
    "paginate",
    "parse_datetime",
    "reply",
    "timestamp",
]

# What a platform of each role implements (mod_*.asciidoc, "Interfaces" sections).
ROLE_ENDPOINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "CPO": (
        ("locations", "SENDER"),
        ("sessions", "SENDER"),
        ("cdrs", "SENDER"),
        ("tariffs", "SENDER"),
        ("tokens", "RECEIVER"),
        ("commands", "RECEIVER"),
        ("chargingprofiles", "RECEIVER"),
        ("hubclientinfo", "RECEIVER"),
    ),
    "EMSP": (
        ("locations", "RECEIVER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("tokens", "SENDER"),
        ("commands", "SENDER"),
        ("chargingprofiles", "SENDER"),
        ("hubclientinfo", "RECEIVER"),
    ),
    "NSP": (("locations", "RECEIVER"), ("tariffs", "RECEIVER"), ("hubclientinfo", "RECEIVER")),
    "SCSP": (("sessions", "RECEIVER"), ("chargingprofiles", "SENDER"), ("hubclientinfo", "RECEIVER")),
    "OTHER": (("hubclientinfo", "RECEIVER"),),
    # another hub in a chain (topology: hubs connected to hubs): both interfaces of every routed module
    "HUB": tuple(
        (module, interface)
        for module in ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands", "chargingprofiles")
        for interface in ("SENDER", "RECEIVER")
    ),
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_id() -> str:
    return str(uuid.uuid4())


def timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    """An OCPI DateTime; no zone designator means UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def envelope(data: Any = None, *, status_code: int = 1000, status_message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {} if data is None else {"data": data}
    body["status_code"] = status_code
    if status_message:
        body["status_message"] = status_message
    body["timestamp"] = timestamp()
    return body


def encode_token(token: str, encoding: str = "base64") -> str:
    """The Authorization header value: `Token ` + Base64 of the UTF-8 token (or the raw token)."""
    if encoding == "raw":
        return f"Token {token}"
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def decode_token(header: str | None, encoding: str = "base64") -> str | None:
    """Strict reading: exactly `Token <value>`; Base64 must decode exactly (no newline forgiven)."""
    if not header or not header.startswith("Token ") or header.count(" ") != 1:
        return None
    value = header[len("Token ") :]
    if encoding == "raw":
        return value or None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8") or None
    except (binascii.Error, UnicodeDecodeError):
        return None


def paginate(
    objects: Iterable[Mapping[str, Any]], query: Mapping[str, str], *, page_limit: int, url: str
) -> tuple[list[Mapping[str, Any]], dict[str, str]]:
    """One page of `objects` (oldest first, as stored) for a paginated GET, and its headers.

    date_from is inclusive, date_to exclusive (transport_and_format.asciidoc, Pagination); raises
    ValueError for unreadable parameters.
    """
    date_from = parse_datetime(query["date_from"]) if query.get("date_from") else None
    date_to = parse_datetime(query["date_to"]) if query.get("date_to") else None
    offset = int(query.get("offset") or 0)
    limit = min(int(query.get("limit") or page_limit), page_limit)
    if offset < 0 or limit < 1:
        raise ValueError("offset must be >= 0 and limit >= 1")
    matching = [
        o
        for o in objects
        if (date_from is None or parse_datetime(o["last_updated"]) >= date_from)
        and (date_to is None or parse_datetime(o["last_updated"]) < date_to)
    ]
    page = matching[offset : offset + limit]
    headers = {"X-Total-Count": str(len(matching)), "X-Limit": str(page_limit)}
    if offset + len(page) < len(matching):
        params = {k: v for k, v in query.items() if k not in ("offset", "limit")}
        params.update(offset=str(offset + len(page)), limit=str(limit))
        headers["Link"] = f'<{url}?{urlencode(params)}>; rel="next"'
    return page, headers


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def reply(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response (the body is usually an `envelope`)."""
    return Response(dumps(body), status_code=status, headers=dict(headers or {}), media_type="application/json")


@dataclass(frozen=True)
class RecordedRequest:
    """One request a fake received, exactly as it arrived."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    raw_path: str | None = None  # the path as sent, percent-encoding kept (`path` is decoded)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def routing(self) -> dict[str, str | None]:
        """The four OCPI-to/from headers (None when absent)."""
        names = ("ocpi-to-country-code", "ocpi-to-party-id", "ocpi-from-country-code", "ocpi-from-party-id")
        return {n: self.headers.get(n) for n in names}


@dataclass(frozen=True)
class SentCallback:
    """A result a fake POSTed to a response_url (commands, chargingprofiles)."""

    url: str
    body: dict[str, Any]
    status: int  # 0: no HTTP answer (see `reply` for the error)
    reply: Any = None
