"""What the adapter remembers between calls, in memory (oicp-bridge.md §7.10, partly).

- `sessions`: HBS SessionID -> the EvseID it runs on, from remote starts and authorizations
  (AuthorizeRemoteStop needs the EvseID; OCPI STOP_SESSION only names the session);
- `reservations`: OCPI reservation_id -> (SessionID, EvseID) for CANCEL_RESERVATION;
- `published`: EvseIDs / ProductIDs HBS acknowledged, to choose ActionType insert or update;
- `notified`: per OCPI session of our CPOs, the last state sent as ChargingNotifications (PATCH
  needs the whole session; Progress is throttled to one per 5 minutes).

GAP: this state is per process and lost on restart (the SQL correlation tables of §7.10 are not
built): a STOP_SESSION / CANCEL_RESERVATION for a session started before a restart is refused with
2001, a Sessions PATCH before a new PUT likewise. Bounded (LRU) so it cannot grow without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["Correlation", "Lru", "NotifiedSession"]

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._items


@dataclass(slots=True)
class NotifiedSession:
    session: dict[str, Any]  # the whole OCPI Session as last sent (or acknowledged locally)
    last_progress: str | None = None  # last_updated of the last Progress sent


@dataclass
class Correlation:
    size: int = 50_000
    sessions: Lru[str, str] = field(init=False)  # SessionID (lower case) -> EvseID
    reservations: Lru[tuple[int, str], tuple[str, str]] = field(init=False)  # (platform, reservation_id)
    published: Lru[tuple[int, str, str], bool] = field(init=False)  # (platform, kind, canonical id)
    notified: Lru[tuple[int, str, str, str], NotifiedSession] = field(init=False)  # (platform, cc, pid, id)

    def __post_init__(self) -> None:
        self.sessions = Lru(self.size)
        self.reservations = Lru(self.size)
        self.published = Lru(self.size)
        self.notified = Lru(self.size)
