"""One OICP call over HTTP: POST JSON to `{base_url}{operation path}`, the answer's JSON back.

Security (oicp-bridge.md §1): mutual TLS when the upstream's options give `client_cert` (and
`client_key` unless the key is in the certificate file) and optionally `ca_file` (Hubject's private
CA); one `ssl.SSLContext` per upstream, built on first use and cached. Plain HTTP only when
`base_url` is `http://` (development, the simulator): then the `partner` option, if any, goes in the
`X-OICP-Partner` header (`partner_header` to rename it) - never over https.

Failures, in the send path's terms (hub.forwarding.contract):
- connection refused, DNS, TLS handshake or certificate failure, and HBS's own answer to bad TLS
  (HTTP 400 "SSL certificate error") -> `ConnectFailed` (nothing was processed: failover is safe);
- no complete answer within the request's time budget -> `ReplyTimeout`;
- connection broken after sending, a reply over `MAX_REPLY_BYTES`, or an HTTP 200 whose body is
  no JSON object -> `ReplyBroken`;
- HTTP 429 -> `Throttled` (HBS did not process it), HTTP 5xx -> `HbsFailed`, any other non-200 ->
  `HbsRefused`: the adapter turns these three into OCPI answers (see `replies`).
- a broken configuration (https without a client certificate, unreadable certificate files) is the
  hub's own problem: `hub.errors.ServerError`, so the receiver's breaker is not charged.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from adapters.ocpi_direct import aiohttp_failures
from hub.errors import ServerError
from hub.forwarding.contract import ConnectFailed, ReplyBroken

__all__ = ["MAX_REPLY_BYTES", "HbsFailed", "HbsRefused", "OicpTransport", "Throttled", "TransportAnswer"]

MAX_REPLY_BYTES = 4 * 1024 * 1024  # OICP acknowledgements are tiny; pulls are not made here
_DEFAULT_PARTNER_HEADER = "X-OICP-Partner"


class Throttled(Exception):
    """HTTP 429 from HBS (rate limit per partner and operation): not processed."""

    def __init__(self, retry_after: str | None) -> None:
        super().__init__(f"rate limited (retry after {retry_after or '?'} s)")
        self.retry_after = retry_after


class HbsFailed(Exception):
    """HTTP 5xx from HBS: it may or may not have processed the request."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class HbsRefused(Exception):
    """Another non-200 HTTP status (404, 405, 400 unreadable JSON): the request was not processed."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


@dataclass(frozen=True, slots=True)
class TransportAnswer:
    body: dict[str, Any]
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class _TlsKey:
    platform_id: int
    client_cert: str
    client_key: str | None
    ca_file: str | None


class OicpTransport:
    def __init__(self, http: aiohttp.ClientSession, *, connect_timeout: float | None = None) -> None:
        self._http = http
        self._connect_timeout = connect_timeout
        self._tls: dict[_TlsKey, ssl.SSLContext] = {}

    def ssl_context(self, platform_id: int, options: Mapping[str, Any]) -> ssl.SSLContext | None:
        """The upstream's mutual-TLS context (cached), or None for plain http."""
        base_url = _base_url(options)
        if base_url.startswith("http://"):
            return None
        cert = options.get("client_cert")
        if not cert:
            raise ServerError("The OICP upstream is misconfigured: an https base_url needs the client_cert option")
        key = _TlsKey(platform_id, str(cert), _opt(options, "client_key"), _opt(options, "ca_file"))
        context = self._tls.get(key)
        if context is None:
            try:
                context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=key.ca_file)
                context.load_cert_chain(key.client_cert, key.client_key)
            except (OSError, ssl.SSLError) as exc:
                raise ServerError("The OICP upstream is misconfigured: its TLS files cannot be loaded") from exc
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            self._tls = {k: v for k, v in self._tls.items() if k.platform_id != platform_id}  # options changed
            self._tls[key] = context
        return context

    async def post(
        self, *, platform_id: int, options: Mapping[str, Any], path: str, body: dict[str, Any], timeout: float
    ) -> TransportAnswer:
        started = time.perf_counter()
        base_url = _base_url(options)
        context = self.ssl_context(platform_id, options)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        partner = options.get("partner")
        if context is None and partner:
            headers[str(options.get("partner_header") or _DEFAULT_PARTNER_HEADER)] = str(partner)
        url = URL(base_url.rstrip("/") + path, encoded=True)  # ids with `*` travel raw (HBS takes both)
        client_timeout = aiohttp.ClientTimeout(total=max(timeout, 0.01), sock_connect=self._connect_timeout)
        with aiohttp_failures():
            async with self._http.post(
                url,
                data=orjson.dumps(body),
                headers=headers,
                timeout=client_timeout,
                ssl=context if context is not None else True,
                allow_redirects=False,
            ) as reply:
                if (reply.content_length or 0) > MAX_REPLY_BYTES:
                    raise ReplyBroken("OICP reply too large")
                raw = await _read_capped(reply)
                status = reply.status
                retry_after = reply.headers.get("Retry-After")
        elapsed = (time.perf_counter() - started) * 1000
        if status == 429:
            raise Throttled(retry_after)
        if status >= 500:
            raise HbsFailed(status)
        if status == 400 and b"SSL certificate" in raw:
            raise ConnectFailed("the OICP hub refused our TLS certificate")
        if status != 200:
            raise HbsRefused(status)
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ReplyBroken("OICP reply is not JSON") from exc
        if not isinstance(parsed, dict):
            raise ReplyBroken("OICP reply is not a JSON object")
        return TransportAnswer(parsed, elapsed)


async def _read_capped(reply: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in reply.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise ReplyBroken("OICP reply too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _opt(options: Mapping[str, Any], name: str) -> str | None:
    value = options.get(name)
    return str(value) if value else None


def _base_url(options: Mapping[str, Any]) -> str:
    base_url = options.get("base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ServerError("The OICP upstream is misconfigured: its base_url option is missing or not http(s)")
    return base_url
