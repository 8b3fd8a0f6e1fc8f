"""Every request the upstream hub received or sent, with headers and bodies, in arrival order.

`in`: a platform called the hub; `out`: the hub called a platform; `internal`: the hub handed a
message to one of its in-process parties (a forward that would be a request at the real hub),
or decided not to (`note="deduped"`, `note="rejected: ..."`). Tests query it with `find` and
wait on it with `wait_for`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Direction", "Journal", "JournalEntry"]

Direction = Literal["in", "out", "internal"]


@dataclass(slots=True)
class JournalEntry:
    """One request and its answer; `seq` numbers requests in the order they arrived or left."""

    seq: int
    at: float
    direction: Direction
    platform: str | None  # the connected platform's name (None: unknown caller / internal)
    method: str
    url: str
    module: str
    request_headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    request_body: Any = None
    http_status: int = 0  # 0: no HTTP answer (refused, timeout)
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = None  # the parsed envelope when there was one
    error: str | None = None
    note: str = ""

    def header(self, name: str) -> str | None:
        return self.request_headers.get(name.lower())

    def response_header(self, name: str) -> str | None:
        return self.response_headers.get(name.lower())

    @property
    def status_code(self) -> int | None:
        body = self.response_body
        code = body.get("status_code") if isinstance(body, dict) else None
        return code if isinstance(code, int) else None

    @property
    def data(self) -> Any:
        return self.response_body.get("data") if isinstance(self.response_body, dict) else None

    @property
    def ids_echoed(self) -> bool:
        """The answer carried the request's X-Request-ID and X-Correlation-ID."""
        return all(
            self.header(n) is not None and self.header(n) == self.response_header(n)
            for n in ("x-request-id", "x-correlation-id")
        )


class Journal:
    """See the module docstring."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []
        self._counter = itertools.count(1)
        self._changed = asyncio.Event()

    def next_seq(self) -> int:
        return next(self._counter)

    def add(self, entry: JournalEntry) -> JournalEntry:
        self.entries.append(entry)
        self._changed.set()
        return entry

    def note(self, module: str, method: str, url: str, note: str, body: Any = None) -> JournalEntry:
        """An `internal` record: a forward to a party behind the hub, or a message not forwarded."""
        return self.add(
            JournalEntry(
                self.next_seq(), time.time(), "internal", None, method, url, module, request_body=body, note=note
            )
        )

    def clear(self) -> None:
        self.entries.clear()

    def find(
        self,
        direction: Direction | None = None,
        *,
        module: str | None = None,
        method: str | None = None,
        path: str | None = None,
        note: str | None = None,
        platform: str | None = None,
        where: Callable[[JournalEntry], bool] | None = None,
    ) -> list[JournalEntry]:
        """Entries matching every given filter (`path`, `note`: substrings), by `seq`."""
        found = [
            e
            for e in self.entries
            if (direction is None or e.direction == direction)
            and (module is None or e.module == module)
            and (method is None or e.method == method.upper())
            and (path is None or path in e.url)
            and (note is None or note in e.note)
            and (platform is None or e.platform == platform)
            and (where is None or where(e))
        ]
        return sorted(found, key=lambda e: e.seq)

    async def wait_for(
        self, direction: Direction | None = None, *, count: int = 1, timeout: float = 2.0, **filters: Any
    ) -> list[JournalEntry]:
        """Wait until `find(direction, **filters)` has at least `count` entries; TimeoutError after `timeout`."""
        async with asyncio.timeout(timeout):
            while True:
                found = self.find(direction, **filters)
                if len(found) >= count:
                    return found
                self._changed.clear()
                await self._changed.wait()
