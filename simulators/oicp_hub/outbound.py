"""The simulated hub's calls to the partner (HBS -> partner): POST JSON to the partner's URL plus
the OICP path, journaled, with the outbound faults (duplicate deliveries, reordering)."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from simulators.oicp_hub.faults import OicpFaults
from simulators.oicp_hub.journal import Journal

if TYPE_CHECKING:
    from simulators.oicp_hub.parties import Partner

__all__ = ["PARTNER_PATHS", "Outbound", "Reply"]

# HBS -> partner paths under the partner's URL (only the CDR one is documented; see §1 of the
# reference): `{operator}` / `{provider}` are filled with the IDs of the original caller.
_RESERVATION = "/api/oicp/reservation/v11/providers/{provider}/"
PARTNER_PATHS: dict[str, str] = {
    "eRoamingAuthorizeRemoteStart": "/api/oicp/charging/v21/providers/{provider}/authorize-remote/start",
    "eRoamingAuthorizeRemoteStop": "/api/oicp/charging/v21/providers/{provider}/authorize-remote/stop",
    "eRoamingAuthorizeRemoteReservationStart": _RESERVATION + "reservation-start-request",
    "eRoamingAuthorizeRemoteReservationStop": _RESERVATION + "reservation-stop-request",
    "eRoamingAuthorizeStart": "/api/oicp/charging/v21/operators/{operator}/authorize/start",
    "eRoamingAuthorizeStop": "/api/oicp/charging/v21/operators/{operator}/authorize/stop",
    "eRoamingChargingNotifications": "/api/oicp/notificationmgmt/v11/charging-notifications",
    "eRoamingChargeDetailRecord": "/api/oicp/cdrmgmt/v21/operators/{operator}/charge-detail-record",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """The partner's answer to one call (`http_status` 0: none, see `error`)."""

    http_status: int
    body: Any
    elapsed_ms: float
    error: str | None = None

    @property
    def code(self) -> str | None:
        status = self.body.get("StatusCode") if isinstance(self.body, dict) else None
        return str(status.get("Code")) if isinstance(status, dict) else None

    @property
    def result(self) -> bool:
        """Acknowledgement `Result` (False when there was no readable answer)."""
        return isinstance(self.body, dict) and self.body.get("Result") is True

    @property
    def authorized(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("AuthorizationStatus") == "Authorized"


class Outbound:
    """One HTTP client for all calls to partners; `timeout` is the hub's patience (HBS gives up
    and answers the original caller negatively when the partner is slower)."""

    def __init__(
        self, journal: Journal, *, timeout: float, paths: dict[str, str], verify: ssl.SSLContext | bool = True
    ) -> None:
        self.journal = journal
        self.timeout = timeout
        self.paths = paths
        self.faults = OicpFaults()
        self._client = httpx.AsyncClient(verify=verify, timeout=timeout)
        self._held: list[tuple[tuple[Partner, str, str, dict[str, Any]], asyncio.Future[Reply]]] = []

    def path(self, operation: str, *, operator: str = "", provider: str = "") -> str:
        return self.paths[operation].format(operator=operator, provider=provider)

    async def call(self, partner: Partner, operation: str, path: str, body: dict[str, Any]) -> Reply:
        """Deliver (twice with `duplicate_deliveries`; held and reversed with `reorder_window`)."""
        window = self.faults.reorder_window
        if window > 1:
            future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
            self._held.append(((partner, operation, path, body), future))
            if len(self._held) >= window:
                await self.flush(reverse=True)
            return await future
        return await self._deliver(partner, operation, path, body)

    async def flush(self, *, reverse: bool = False) -> None:
        """Deliver the held messages (in reverse order when reordering)."""
        held, self._held = self._held, []
        for args, future in reversed(held) if reverse else held:
            reply = await self._deliver(*args)
            if not future.done():
                future.set_result(reply)

    async def _deliver(self, partner: Partner, operation: str, path: str, body: dict[str, Any]) -> Reply:
        reply = await self._send(partner, operation, path, body)
        if self.faults.duplicate_deliveries:
            reply = await self._send(partner, operation, path, body, note="duplicate delivery")
        return reply

    async def _send(
        self, partner: Partner, operation: str, path: str, body: dict[str, Any], note: str | None = None
    ) -> Reply:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        entry = self.journal.open("outbound", operation, "POST", path, partner.name, headers, body)
        if note:
            entry.notes.append(note)
        started = time.perf_counter()
        if not partner.url:
            self.journal.close(entry, 0, None, error="partner has no URL")
            return Reply(0, None, 0.0, "partner has no URL")
        try:
            response = await self._client.post(
                partner.url.rstrip("/") + path, content=orjson.dumps(body), headers=headers
            )
        except httpx.TimeoutException as exc:
            error = f"timeout: {type(exc).__name__}"
            self.journal.close(entry, 0, None, error=error)
            return Reply(0, None, (time.perf_counter() - started) * 1000, error)
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}: {exc}"
            self.journal.close(entry, 0, None, error=error)
            return Reply(0, None, (time.perf_counter() - started) * 1000, error)
        try:
            parsed: Any = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            parsed = None
        elapsed = (time.perf_counter() - started) * 1000
        self.journal.close(entry, response.status_code, parsed, headers=dict(response.headers))
        return Reply(response.status_code, parsed, elapsed, None if parsed is not None else "unreadable answer")

    async def aclose(self) -> None:
        await self.flush()
        await self._client.aclose()
