"""OCPI headers: the Authorization token, unique message ids and routing headers.

transport_and_format.asciidoc: Authorization (lines 18-46), X-Request-ID / X-Correlation-ID
(591-618), OCPI-to/from-* routing headers (391-414).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Protocol

from hub.types import TokenEncoding

__all__ = [
    "TokenCandidate",
    "authorization_header",
    "new_message_id",
    "routing_headers",
    "token_candidates",
]

_MAX_TOKEN_HEADER = 512


def new_message_id() -> str:
    return str(uuid.uuid4())


def authorization_header(token: str, encoding: TokenEncoding) -> str:
    """`Token ` plus exactly one space and standard Base64 with padding, or the raw token."""
    if encoding is TokenEncoding.RAW:
        return f"Token {token}"
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


@dataclass(frozen=True, slots=True)
class TokenCandidate:
    """One reading of an Authorization header; `raw` readings are accepted only for raw peers."""

    token: str
    raw: bool


def token_candidates(header: str | None) -> list[TokenCandidate]:
    """Readings of `Authorization: Token <x>` in the order of our policy (checklist item 5):
    the exact Base64 decoding, the decoding without a trailing CR/LF, then the raw value."""
    if not header or len(header) > _MAX_TOKEN_HEADER:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    found: list[TokenCandidate] = []
    decoded = _b64decode(value)
    if decoded is not None:
        found.append(TokenCandidate(decoded, raw=False))
        stripped = decoded.rstrip("\r\n")
        if stripped != decoded and stripped:
            found.append(TokenCandidate(stripped, raw=False))
    if all(c.token != value for c in found):
        found.append(TokenCandidate(value, raw=True))
    return found


def _b64decode(value: str) -> str | None:
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    core = text.rstrip("\r\n")
    return text if core and core.isprintable() and " " not in core else None


class _Party(Protocol):
    @property
    def country_code(self) -> str: ...

    @property
    def party_id(self) -> str: ...


def routing_headers(*, to: _Party, from_: _Party) -> dict[str, str]:
    """OCPI-to/from-* for a message from `from_` to `to` (transport_and_format.asciidoc 391-414)."""
    return {
        "OCPI-to-country-code": to.country_code,
        "OCPI-to-party-id": to.party_id,
        "OCPI-from-country-code": from_.country_code,
        "OCPI-from-party-id": from_.party_id,
    }
