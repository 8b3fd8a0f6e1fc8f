"""Fault modes of the simulated upstream hub, switchable while it runs.

hub.faults.server_errors = 3            the next 3 functional requests: HTTP 503, OCPI 3000
hub.faults.hub_error = 4003             answer OCPI 4003 (or 4001) ...
hub.faults.hub_error_count = 2          ... to the next 2 functional requests (-1: until reset)
hub.faults.slow_seconds = 1.5           every answer waits that long
hub.faults.modules = {"locations"}      the request faults above touch only these modules
hub.faults.duplicate = True             every delivery to a platform is sent twice
await hub.link_down("refuse" | "hang")  see UpstreamHub.link_down
hub.hold_deliveries(); await hub.release_deliveries(reverse=True)   out-of-order deliveries
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HubFaults"]

_CONFIGURATION = frozenset({"versions", "credentials"})


@dataclass(slots=True)
class HubFaults:
    """See the module docstring."""

    server_errors: int = 0
    server_error_http: int = 503
    hub_error: int = 0
    hub_error_count: int = 0
    slow_seconds: float = 0.0
    modules: frozenset[str] | set[str] | None = None
    duplicate: bool = False

    def applies_to(self, module: str) -> bool:
        if module in _CONFIGURATION:
            return False
        return self.modules is None or module in self.modules

    def take_server_error(self, module: str) -> bool:
        if self.server_errors <= 0 or not self.applies_to(module):
            return False
        self.server_errors -= 1
        return True

    def take_hub_error(self, module: str) -> int | None:
        if not self.hub_error or self.hub_error_count == 0 or not self.applies_to(module):
            return None
        if self.hub_error_count > 0:
            self.hub_error_count -= 1
        return self.hub_error

    def reset(self) -> None:
        self.server_errors = self.hub_error = self.hub_error_count = 0
        self.slow_seconds = 0.0
        self.modules = None
        self.duplicate = False
