"""Fault modes of the simulated hub, switched while it runs (`await sim.set_faults(...)`).

Inbound (requests the partner sends to the hub; limited to `operations` when given):
    OicpFaults(refuse_connections=True)   the port stops listening (connection refused)
    OicpFaults(slow_seconds=11)           every answer waits that long (beyond the 10 s guidance)
    OicpFaults(server_errors=3)           the next 3 requests get HTTP 500 (a burst)
    OicpFaults(server_error_rate=0.2)     each request gets HTTP 500 with that probability (seeded)
    OicpFaults(status_code="009")         processed negatively: Result=false / NotAuthorized, that code
    OicpFaults(tls_error=True)            HTTP 400 "SSL certificate error" (HBS's answer to bad TLS)
    OicpFaults(too_many_requests=True)    HTTP 429 as if the rate limit were exceeded
    OicpFaults(overtaking=True)           of two overlapping pushes of one operation, the earlier is
                                          applied after the later one (HBS processes them in parallel)
Outbound (calls the hub makes to the partner):
    OicpFaults(duplicate_deliveries=True) every message is delivered twice
    OicpFaults(reorder_window=3)          messages are held until 3 are waiting, then delivered in
                                          reverse order (use concurrent sends)
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["FaultPicker", "OicpFaults"]


@dataclass(frozen=True, slots=True)
class OicpFaults:
    """See the module docstring; the default value injects nothing."""

    refuse_connections: bool = False
    slow_seconds: float = 0.0
    server_errors: int = 0
    server_error_rate: float = 0.0
    status_code: str | None = None
    tls_error: bool = False
    too_many_requests: bool = False
    overtaking: bool = False
    duplicate_deliveries: bool = False
    reorder_window: int = 0
    operations: frozenset[str] | None = None
    retry_after_seconds: int = 1

    def __post_init__(self) -> None:
        if self.slow_seconds < 0 or self.server_errors < 0 or self.reorder_window < 0:
            raise ValueError("fault amounts must be >= 0")
        if not 0.0 <= self.server_error_rate <= 1.0:
            raise ValueError("server_error_rate is a probability between 0 and 1")

    def applies_to(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations


class FaultPicker:
    """Counts down a 5xx burst and draws random 5xx answers from a seeded generator."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self.burst_left = 0

    def reset(self, faults: OicpFaults) -> None:
        self.burst_left = faults.server_errors

    def server_error(self, faults: OicpFaults) -> bool:
        if self.burst_left > 0:
            self.burst_left -= 1
            return True
        rate = faults.server_error_rate
        return rate > 0 and (rate >= 1.0 or self._random.random() < rate)
