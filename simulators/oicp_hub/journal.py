"""Every message the simulated hub received or sent, in arrival order, for the tests' assertions
(who called what, in which order, overlapping pushes, answers and their timing)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Entry", "Journal"]

Direction = Literal["inbound", "outbound"]


@dataclass
class Entry:
    """One request and its answer. `seq` counts arrivals (inbound) / sends (outbound) together;
    `status` is the HTTP status (0: no HTTP answer, see `error`)."""

    seq: int
    at: float  # time.time() when the request arrived / was sent
    direction: Direction
    operation: str  # eRoamingPushEvseData, eRoamingAuthorizeRemoteStart, ... ("unknown" for other paths)
    method: str
    path: str  # raw path as sent (percent-encoding kept)
    partner: str | None  # identified partner name (inbound) / target partner (outbound)
    request_headers: dict[str, str]
    request_body: Any
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = None
    elapsed_ms: float = 0.0
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # "overlapping push", "fault: 5xx", ...
    done: bool = False

    @property
    def code(self) -> str | None:
        """StatusCode.Code of the answer, when it has one."""
        body = self.response_body
        status = body.get("StatusCode") if isinstance(body, dict) else None
        return str(status["Code"]) if isinstance(status, dict) and "Code" in status else None


class Journal:
    """Append-only list of `Entry`; `select` filters, `wait_for` polls with a deadline."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._seq = 0

    def open(
        self,
        direction: Direction,
        operation: str,
        method: str,
        path: str,
        partner: str | None,
        headers: dict[str, str],
        body: Any,
    ) -> Entry:
        self._seq += 1
        entry = Entry(self._seq, time.time(), direction, operation, method, path, partner, headers, body)
        self.entries.append(entry)
        return entry

    @staticmethod
    def close(
        entry: Entry, status: int, body: Any, *, headers: dict[str, str] | None = None, error: str | None = None
    ) -> None:
        entry.status = status
        entry.response_body = body
        entry.response_headers = headers or {}
        entry.error = error
        entry.elapsed_ms = (time.time() - entry.at) * 1000
        entry.done = True

    def select(
        self, operation: str | None = None, direction: Direction | None = None, partner: str | None = None
    ) -> list[Entry]:
        """Entries in arrival order, filtered by operation name, direction and partner."""
        return [
            e
            for e in self.entries
            if (operation is None or e.operation == operation)
            and (direction is None or e.direction == direction)
            and (partner is None or e.partner == partner)
        ]

    def last(self, operation: str | None = None, direction: Direction | None = None) -> Entry:
        found = self.select(operation, direction)
        if not found:
            raise LookupError(f"no {direction or ''} {operation or 'message'} in the journal")
        return found[-1]

    async def wait_for(
        self, predicate: Callable[[Entry], bool], *, timeout: float = 5.0, count: int = 1
    ) -> list[Entry]:
        """Wait until `count` finished entries match `predicate`; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.entries if e.done and predicate(e)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} matching journal entries after {timeout} s")
            await asyncio.sleep(0.01)

    def clear(self) -> None:
        self.entries.clear()
