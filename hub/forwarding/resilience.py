"""A circuit breaker per receiving URL origin: pybreaker behind a small asyncio seam.

pybreaker is sync-only (its async path is Tornado's) and holds a threading lock while it runs
the guarded call (design.md §9). So the awaited request never runs inside pybreaker: `acquire()`
asks before sending, and `record(permit, ok)` replays the outcome through the synchronous `call()`
afterwards. While the breaker is open, requests are refused at once (4003) without a
connection attempt; after `reset_timeout` exactly one trial request is let through, and its
outcome closes or re-opens the breaker. Connection failures, timeouts and HTTP 5xx count as
failures; OCPI client errors (2xxx) never do, nor do the hub's own shortages (no descriptor, no
outbound slot in time) or refusals (outbound policy): `SendPath` hands their permit back unused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pybreaker
import structlog

__all__ = ["AsyncBreaker", "BreakerBoard", "HoldDown", "Permit"]

_log = structlog.get_logger("hub.breaker")


class _Failed(Exception):
    """Stands for a failed receiver call when the outcome is replayed into pybreaker."""


class _Transitions(pybreaker.CircuitBreakerListener):
    def __init__(self, owner: AsyncBreaker) -> None:
        self._owner = owner

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        old = getattr(old_state, "name", str(old_state))
        new = getattr(new_state, "name", str(new_state))
        if new == pybreaker.STATE_OPEN:
            self._owner.opened_at = time.monotonic()
        _log.warning("breaker_state_changed", breaker=cb.name, old=old, new=new)


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to call a receiver; `trial` marks the one request a half-open breaker lets through."""

    trial: bool


_NORMAL, _TRIAL = Permit(trial=False), Permit(trial=True)


class AsyncBreaker:
    """One receiver's breaker. `acquire()` before the call, `record(permit, ok)` after it."""

    def __init__(self, name: str, *, fail_max: int, reset_timeout: float) -> None:
        self.name = name
        self.reset_timeout = reset_timeout
        self.opened_at = 0.0
        self._trial = False
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, name=name, listeners=[_Transitions(self)]
        )

    @property
    def state(self) -> str:
        return str(self._breaker.current_state)

    def acquire(self) -> Permit | None:
        """Permission to call the receiver now, or None while the breaker is open (or while the
        one trial request of a half-open breaker is under way)."""
        state = self.state
        if state == pybreaker.STATE_CLOSED:
            return _NORMAL
        if state == pybreaker.STATE_OPEN and time.monotonic() < self.opened_at + self.reset_timeout:
            return None
        if self._trial:
            return None
        self._trial = True
        return _TRIAL

    def release(self, permit: Permit) -> None:
        """Give a permit back unused (nothing was sent): the outcome is neither success nor failure."""
        if permit.trial:
            self._trial = False

    def record(self, permit: Permit, ok: bool) -> None:
        """The outcome of a call made with `permit`."""
        if permit.trial:
            self._trial = False

        def replay() -> None:
            if not ok:
                raise _Failed

        try:
            self._breaker.call(replay)
        except (_Failed, pybreaker.CircuitBreakerError):
            pass

    def reset(self) -> None:
        self._trial = False
        self._breaker.close()


class BreakerBoard:
    """Breakers by name (a receiver's URL origin), created on first use."""

    def __init__(self, *, fail_max: int, reset_timeout: float) -> None:
        self._fail_max = fail_max
        self._reset_timeout = reset_timeout
        self._breakers: dict[str, AsyncBreaker] = {}

    def get(self, name: str) -> AsyncBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = self._breakers[name] = AsyncBreaker(
                name, fail_max=self._fail_max, reset_timeout=self._reset_timeout
            )
        return breaker

    def states(self) -> dict[str, str]:
        return {name: b.state for name, b in self._breakers.items()}

    def open_count(self) -> int:
        return sum(state != pybreaker.STATE_CLOSED for state in self.states().values())


class HoldDown:
    """Route health for failover between routes to one party (upstream reference §3.4): a
    platform that could not be reached is "held down" for `seconds`; new flows prefer routes
    that are not held down, so traffic returns to a recovered preferred route only after it has
    stayed out of trouble that long (no flapping). Per process, like the breakers."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._failed_at: dict[int, float] = {}

    def failed(self, platform_id: int) -> None:
        self._failed_at[platform_id] = time.monotonic()

    def held_down(self, platform_id: int) -> bool:
        at = self._failed_at.get(platform_id)
        if at is None:
            return False
        if time.monotonic() - at >= self.seconds:
            del self._failed_at[platform_id]
            return False
        return True
