"""forwarding.resilience: the circuit breaker per receiver, on its own (no network, no waiting).

Two clocks decide when an open breaker may try again: `AsyncBreaker.acquire()` reads
`time.monotonic()` and pybreaker, replaying the outcome, reads `datetime.now(UTC)`. The `clock`
fixture replaces both with one hand-advanced clock (the `time` module as the module under test
sees it, and the `datetime` pybreaker imported), so "after reset_timeout" is a step, not a wait.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from types import SimpleNamespace

import pybreaker
import pytest

from hub.forwarding import resilience
from hub.forwarding.resilience import AsyncBreaker, BreakerBoard, Permit

FAIL_MAX = 3
RESET = 30.0


class Clock:
    """One clock for both readers; `advance(seconds)` moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._epoch = datetime(2025, 1, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.now

    def wall(self, tz: tzinfo | None = None) -> datetime:
        moment = self._epoch + timedelta(seconds=self.now)
        return moment if tz is None else moment.astimezone(tz)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()

    class _Datetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> _Datetime:
            moment = clock.wall(tz)
            return cls.fromtimestamp(moment.timestamp(), tz)

    monkeypatch.setattr(resilience, "time", SimpleNamespace(monotonic=clock.monotonic))
    monkeypatch.setattr(pybreaker, "datetime", _Datetime)
    return clock


def breaker() -> AsyncBreaker:
    return AsyncBreaker("http://cpo.test", fail_max=FAIL_MAX, reset_timeout=RESET)


def fail(b: AsyncBreaker, times: int) -> None:
    for _ in range(times):
        permit = b.acquire()
        assert permit is not None
        b.record(permit, False)


def open_breaker(b: AsyncBreaker) -> None:
    fail(b, FAIL_MAX)
    assert b.state == pybreaker.STATE_OPEN


def test_a_fresh_breaker_is_closed_and_lets_everything_through(clock: Clock) -> None:
    b = breaker()
    assert b.state == pybreaker.STATE_CLOSED
    permits = [b.acquire() for _ in range(10)]
    assert permits == [Permit(trial=False)] * 10


def test_it_opens_after_fail_max_failures_and_not_before(clock: Clock) -> None:
    b = breaker()
    fail(b, FAIL_MAX - 1)
    assert b.state == pybreaker.STATE_CLOSED
    assert b.acquire() == Permit(trial=False)
    fail(b, 1)
    assert b.state == pybreaker.STATE_OPEN


def test_an_open_breaker_refuses_until_reset_timeout(clock: Clock) -> None:
    b = breaker()
    open_breaker(b)
    for _ in range(5):
        assert b.acquire() is None
    clock.advance(RESET - 0.5)
    assert b.acquire() is None
    assert b.state == pybreaker.STATE_OPEN


def test_after_reset_timeout_exactly_one_trial_goes_through(clock: Clock) -> None:
    b = breaker()
    open_breaker(b)
    clock.advance(RESET + 0.1)
    assert b.acquire() == Permit(trial=True)
    # while the trial is under way, nobody else gets through, however long it takes
    assert [b.acquire() for _ in range(5)] == [None] * 5
    clock.advance(RESET * 3)
    assert b.acquire() is None


def test_a_successful_trial_closes_the_breaker(clock: Clock) -> None:
    b = breaker()
    open_breaker(b)
    clock.advance(RESET + 0.1)
    trial = b.acquire()
    assert trial == Permit(trial=True)
    b.record(trial, True)
    assert b.state == pybreaker.STATE_CLOSED
    assert [b.acquire() for _ in range(3)] == [Permit(trial=False)] * 3
    # closed afresh: it takes fail_max new failures to open it again
    fail(b, FAIL_MAX - 1)
    assert b.state == pybreaker.STATE_CLOSED


def test_a_failed_trial_reopens_it_for_another_reset_timeout(clock: Clock) -> None:
    b = breaker()
    open_breaker(b)
    clock.advance(RESET + 0.1)
    trial = b.acquire()
    assert trial == Permit(trial=True)
    b.record(trial, False)
    assert b.state == pybreaker.STATE_OPEN
    assert b.acquire() is None
    clock.advance(RESET - 0.5)  # the new timeout counts from the failed trial
    assert b.acquire() is None
    clock.advance(1.0)
    assert b.acquire() == Permit(trial=True)


def test_a_released_trial_permit_frees_the_trial_without_an_outcome(clock: Clock) -> None:
    b = breaker()
    open_breaker(b)
    clock.advance(RESET + 0.1)
    trial = b.acquire()
    assert trial == Permit(trial=True)
    assert b.acquire() is None
    b.release(trial)  # nothing was sent
    assert b.state == pybreaker.STATE_OPEN  # neither closed nor re-armed
    again = b.acquire()
    assert again == Permit(trial=True)
    b.record(again, True)
    assert b.state == pybreaker.STATE_CLOSED


def test_a_released_normal_permit_changes_nothing(clock: Clock) -> None:
    b = breaker()
    fail(b, FAIL_MAX - 1)
    permit = b.acquire()
    assert permit == Permit(trial=False)
    b.release(permit)
    assert b.state == pybreaker.STATE_CLOSED
    fail(b, 1)  # the released permit neither counted as a failure nor reset the count
    assert b.state == pybreaker.STATE_OPEN


def test_ok_outcomes_never_open_it_and_reset_the_failure_count(clock: Clock) -> None:
    """OCPI client errors (2xxx, HTTP 200 or 4xx) are recorded as ok: the receiver answered."""
    b = breaker()
    for _ in range(FAIL_MAX * 10):
        permit = b.acquire()
        assert permit is not None
        b.record(permit, True)
    assert b.state == pybreaker.STATE_CLOSED
    for _ in range(5):  # failures that never reach fail_max in a row
        fail(b, FAIL_MAX - 1)
        permit = b.acquire()
        assert permit is not None
        b.record(permit, True)
        assert b.state == pybreaker.STATE_CLOSED


def test_reset_closes_an_open_breaker_and_drops_a_pending_trial(clock: Clock) -> None:
    b = breaker()
    open_breaker(b)
    clock.advance(RESET + 0.1)
    assert b.acquire() == Permit(trial=True)
    b.reset()
    assert b.state == pybreaker.STATE_CLOSED
    assert b.acquire() == Permit(trial=False)


def test_the_board_keeps_one_breaker_per_name_and_counts_the_open_ones(clock: Clock) -> None:
    board = BreakerBoard(fail_max=FAIL_MAX, reset_timeout=RESET)
    a, c = board.get("http://cpo-a.test"), board.get("http://cpo-c.test")
    assert board.get("http://cpo-a.test") is a and a is not c
    assert board.open_count() == 0
    open_breaker(a)
    assert board.open_count() == 1
    assert board.states() == {"http://cpo-a.test": pybreaker.STATE_OPEN, "http://cpo-c.test": pybreaker.STATE_CLOSED}
    assert c.acquire() == Permit(trial=False)  # one receiver's failures do not stop another
