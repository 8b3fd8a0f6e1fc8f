"""Fault modes of a simulated platform, switchable while it runs (`await platform.set_faults(...)`).

    Faults(slow_seconds=2.0)           every reply waits 2 s before it is sent
    Faults(server_errors=0.5)          half of the replies are HTTP 500 with OCPI status 3000
    Faults(too_many_requests=1.0)      HTTP 429 with a Retry-After header
    Faults(malformed_json=1.0)         HTTP 200 whose body is cut-off JSON
    Faults(one_item_pages=True)        paginated list GETs serve one object per page
    Faults(refuse_connections=True)    the port stops listening: connections are refused

Rates are probabilities (0 to 1) drawn from a generator seeded per platform, so a run repeats.
Faults apply to the functional modules (or only to `modules`); the configuration modules
(versions, credentials) are spared unless `configuration=True`, so a faulty platform can still
register. `Faults.parse("slow=0.5,5xx=0.1,429=0.1,malformed=0.1,one-item-pages,refuse")` reads
the command-line form.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace
from typing import Literal

__all__ = ["FAULT_NAMES", "FaultPicker", "Faults", "Injected"]

Injected = Literal["server_error", "too_many_requests", "malformed_json"]

# command-line names -> field names
FAULT_NAMES: dict[str, str] = {
    "slow": "slow_seconds",
    "5xx": "server_errors",
    "500": "server_errors",
    "429": "too_many_requests",
    "malformed": "malformed_json",
    "one-item-pages": "one_item_pages",
    "refuse": "refuse_connections",
    "modules": "modules",
    "configuration": "configuration",
}
_CONFIGURATION_MODULES = frozenset({"versions", "credentials"})
_RATES = frozenset({"server_errors", "too_many_requests", "malformed_json"})


def _rate(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} is a probability between 0 and 1, not {value}")
    return value


@dataclass(frozen=True, slots=True)
class Faults:
    """See the module docstring. The default value injects nothing."""

    slow_seconds: float = 0.0
    server_errors: float = 0.0
    too_many_requests: float = 0.0
    malformed_json: float = 0.0
    one_item_pages: bool = False
    refuse_connections: bool = False
    modules: frozenset[str] | None = None
    configuration: bool = False
    retry_after_seconds: int = 1

    def __post_init__(self) -> None:
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must be >= 0")
        for name in ("server_errors", "too_many_requests", "malformed_json"):
            _rate(name, getattr(self, name))

    @property
    def active(self) -> bool:
        return self != Faults(modules=self.modules, configuration=self.configuration)

    def applies_to(self, module: str) -> bool:
        """Whether request-level faults (slow, 5xx, 429, malformed) touch a request of `module`."""
        if module in _CONFIGURATION_MODULES:
            return self.configuration
        return self.modules is None or module in self.modules

    @classmethod
    def parse(cls, text: str) -> Faults:
        """`slow=0.5,5xx=0.2,429=0.1,malformed=0.1,one-item-pages,refuse,modules=locations+tokens`."""
        faults = cls()
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            name, _, value = item.partition("=")
            key = FAULT_NAMES.get(name.strip().lower())
            if key is None:
                raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULT_NAMES))}")
            switch = value.strip().lower() not in ("0", "false", "no", "off")
            rate = float(value) if value.strip() and key in _RATES else 1.0  # a bare `5xx` means always
            if key == "one_item_pages":
                faults = replace(faults, one_item_pages=switch)
            elif key == "refuse_connections":
                faults = replace(faults, refuse_connections=switch)
            elif key == "configuration":
                faults = replace(faults, configuration=switch)
            elif key == "modules":
                faults = replace(faults, modules=frozenset(m for m in value.split("+") if m))
            elif key == "slow_seconds":
                faults = replace(faults, slow_seconds=float(value))
            elif key == "server_errors":
                faults = replace(faults, server_errors=rate)
            elif key == "too_many_requests":
                faults = replace(faults, too_many_requests=rate)
            else:
                faults = replace(faults, malformed_json=rate)
        return faults

    def describe(self) -> str:
        """The non-default fields, in the command-line form (`none` when nothing is injected)."""
        names = {v: k for k, v in FAULT_NAMES.items() if k not in ("500",)}
        parts = []
        default = Faults()
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name) or f.name == "retry_after_seconds":
                continue
            name = names.get(f.name, f.name)
            if isinstance(value, bool):
                parts.append(name)
            elif isinstance(value, frozenset):
                parts.append(f"{name}={'+'.join(sorted(value))}")
            else:
                parts.append(f"{name}={value:g}")
        return ",".join(parts) or "none"


class FaultPicker:
    """Draws which fault, if any, a request gets; seeded, so a run repeats."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def pick(self, faults: Faults, module: str) -> Injected | None:
        if not faults.applies_to(module):
            return None
        for name, rate in (
            ("too_many_requests", faults.too_many_requests),
            ("server_error", faults.server_errors),
            ("malformed_json", faults.malformed_json),
        ):
            if rate > 0 and (rate >= 1.0 or self._random.random() < rate):
                return name  # type: ignore[return-value]
        return None
