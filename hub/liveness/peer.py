"""Calls the hub makes to a platform's configuration modules (versions, details, credentials).

No routing headers here (transport_and_format.asciidoc 400-403); fresh X-Request-ID and
X-Correlation-ID on every request; Content-Type on every request with a body.

Every URL is checked against the outbound policy first (`hub.egress`, DNS included) and again at
connect time by the session; redirects are never followed (a 3xx is a failure). A failure is a
`PeerError` whose message is generic and safe to show to the platform (never "connection
refused", a port or DNS text: that would make registration a port scanner); what really happened
is its `detail`, logged for the operator.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp
import orjson
import structlog

from hub.egress.policy import EgressRefused, OutboundPolicy
from hub.ocpi.headers import authorization_header, new_message_id
from hub.types import TokenEncoding

__all__ = ["PeerClient", "PeerError", "PeerRefused"]

_log = structlog.get_logger("hub.peer")
_MAX_REPLY = 1024 * 1024
_UNUSABLE = "could not be used"


class PeerError(Exception):
    """The platform's API could not be used. `str()` is the public message (safe to show to the
    platform); `detail` is for the operator's log only."""

    def __init__(self, public: str = _UNUSABLE, *, detail: str = "") -> None:
        super().__init__(public)
        self.public = public
        self.detail = detail or public


class PeerRefused(PeerError):
    """The URL is refused by the hub's outbound policy: nothing was sent."""


class _Transient(Exception):
    """A failure worth one more try (nothing reached the platform)."""


class PeerClient:
    def __init__(
        self, http: aiohttp.ClientSession, *, timeout_seconds: float, policy: OutboundPolicy | None = None
    ) -> None:
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.policy = policy

    async def check(self, url: str) -> None:
        """PeerRefused unless the outbound policy allows `url` (resolved: every address checked)."""
        if self.policy is None:
            return
        try:
            await self.policy.check_resolved(url)
        except EgressRefused as refused:
            _log.warning("peer_url_refused", url=url[:255], reason=refused.detail)
            raise PeerRefused(refused.message, detail=refused.detail) from refused

    async def call(
        self, method: str, url: str, *, token: str, encoding: TokenEncoding, body: Any = None
    ) -> tuple[int, dict[str, Any]]:
        """One OCPI request; returns (HTTP status, envelope). Raises PeerError when unusable.

        A GET is tried up to three times on connection failures (backoff 0.2 s, 0.4 s with
        jitter): the hub's own calls are retried, routed requests never are."""
        await self.check(url)
        attempts = 3 if method == "GET" else 1
        try:
            for attempt in range(1, attempts + 1):
                try:
                    return await self._call_once(method, url, token=token, encoding=encoding, body=body)
                except _Transient as exc:
                    if attempt == attempts:
                        raise PeerError(detail=str(exc)) from exc
                    await asyncio.sleep(random.uniform(0.1, 0.2) * 2**attempt)
            raise AssertionError("unreachable")
        except PeerError as exc:
            _log.warning("peer_call_failed", method=method, url=url[:255], detail=exc.detail[:300])
            raise

    async def _call_once(
        self, method: str, url: str, *, token: str, encoding: TokenEncoding, body: Any
    ) -> tuple[int, dict[str, Any]]:
        if not url.startswith(("http://", "https://")):
            raise PeerError(detail=f"not an http(s) URL: {url[:100]}")
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
            async with self._http.request(
                method, url, headers=headers, data=data, timeout=self._timeout, allow_redirects=False
            ) as reply:
                status = reply.status
                if 300 <= status < 400:
                    raise PeerError(detail=f"HTTP {status} redirect (not followed)")
                if (reply.content_length or 0) > _MAX_REPLY:
                    raise PeerError(detail="reply too large")
                raw = await reply.read()
        except EgressRefused as refused:
            raise PeerRefused(refused.message, detail=refused.detail) from refused
        except TimeoutError as exc:
            raise PeerError(detail="no reply in time") from exc
        except aiohttp.ClientConnectorError as exc:
            raise _Transient(f"connection failed: {exc}") from exc
        except aiohttp.ClientError as exc:
            raise PeerError(detail=f"connection failed: {type(exc).__name__}: {exc}") from exc
        _log.info("peer_call", method=method, url=url[:255], status=status)
        try:
            envelope = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise PeerError(detail=f"reply is not JSON (HTTP {status})") from exc
        if not isinstance(envelope, dict):
            raise PeerError(detail=f"reply is not an OCPI envelope (HTTP {status})")
        return status, envelope

    async def data(self, method: str, url: str, *, token: str, encoding: TokenEncoding, body: Any = None) -> Any:
        """The `data` of a successful (1000) reply; anything else is a PeerError."""
        status, envelope = await self.call(method, url, token=token, encoding=encoding, body=body)
        code = envelope.get("status_code")
        if status >= 300 or code != 1000:
            message = str(envelope.get("status_message") or "")[:200]
            detail = f"{method} {url[:100]}: HTTP {status}, status_code {code} {message}".rstrip()
            _log.warning("peer_call_failed", method=method, url=url[:255], detail=detail)
            raise PeerError(detail=detail)
        return envelope.get("data")
