"""Calls the hub makes to a platform's configuration modules (versions, details, credentials).

No routing headers here (transport_and_format.asciidoc 400-403); fresh X-Request-ID and
X-Correlation-ID on every request; Content-Type on every request with a body.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp
import orjson
import structlog

from hub.ocpi.headers import authorization_header, new_message_id
from hub.types import TokenEncoding

__all__ = ["PeerClient", "PeerError"]

_log = structlog.get_logger("hub.peer")
_MAX_REPLY = 1024 * 1024


class PeerError(Exception):
    """The platform's API could not be used; the message is safe to show to that platform."""


class _Transient(Exception):
    """A failure worth one more try (nothing reached the platform)."""


class PeerClient:
    def __init__(self, http: aiohttp.ClientSession, *, timeout_seconds: float) -> None:
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def call(
        self, method: str, url: str, *, token: str, encoding: TokenEncoding, body: Any = None
    ) -> tuple[int, dict[str, Any]]:
        """One OCPI request; returns (HTTP status, envelope). Raises PeerError when unusable.

        A GET is tried up to three times on connection failures (backoff 0.2 s, 0.4 s with
        jitter): the hub's own calls are retried, routed requests never are."""
        attempts = 3 if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._call_once(method, url, token=token, encoding=encoding, body=body)
            except _Transient as exc:
                if attempt == attempts:
                    raise PeerError(str(exc)) from exc
                await asyncio.sleep(random.uniform(0.1, 0.2) * 2**attempt)
        raise AssertionError("unreachable")

    async def _call_once(
        self, method: str, url: str, *, token: str, encoding: TokenEncoding, body: Any
    ) -> tuple[int, dict[str, Any]]:
        if not url.startswith(("http://", "https://")):
            raise PeerError(f"not an http(s) URL: {url[:100]}")
        headers = {
            "Authorization": authorization_header(token, encoding),
            "X-Request-ID": new_message_id(),
            "X-Correlation-ID": new_message_id(),
        }
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(body)
        try:
            async with self._http.request(method, url, headers=headers, data=data, timeout=self._timeout) as reply:
                if (reply.content_length or 0) > _MAX_REPLY:
                    raise PeerError(f"{method} {url[:100]}: reply too large")
                raw = await reply.read()
                status = reply.status
        except TimeoutError as exc:
            raise PeerError(f"{method} {url[:100]}: no reply in time") from exc
        except aiohttp.ClientConnectorError as exc:
            raise _Transient(f"{method} {url[:100]}: connection failed") from exc
        except aiohttp.ClientError as exc:
            raise PeerError(f"{method} {url[:100]}: connection failed") from exc
        _log.info("peer_call", method=method, url=url[:255], status=status)
        try:
            envelope = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise PeerError(f"{method} {url[:100]}: reply is not JSON (HTTP {status})") from exc
        if not isinstance(envelope, dict):
            raise PeerError(f"{method} {url[:100]}: reply is not an OCPI envelope (HTTP {status})")
        return status, envelope

    async def data(self, method: str, url: str, *, token: str, encoding: TokenEncoding, body: Any = None) -> Any:
        """The `data` of a successful (1000) reply; anything else is a PeerError."""
        status, envelope = await self.call(method, url, token=token, encoding=encoding, body=body)
        code = envelope.get("status_code")
        if status >= 300 or code != 1000:
            message = str(envelope.get("status_message") or "")[:200]
            raise PeerError(f"{method} {url[:100]}: HTTP {status}, status_code {code} {message}".rstrip())
        return envelope.get("data")
