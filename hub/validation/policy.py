"""The validation mode for the author of a payload and the module it belongs to.

Settings (`docs/configuration.md`): `validation_mode` is the default; `validation_overrides`
maps `"platform:module"`, `"platform:*"` or `"*:module"` to a mode, the most specific key winning
(platform and module before platform alone before module alone before the default).

    strict  an invalid request is refused with 2001; an invalid reply becomes a 4000 hub error
    warn    the payload is forwarded; each violation is logged and counted
    off     nothing is validated
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

__all__ = ["MODES", "Mode", "ValidationPolicy"]

Mode = Literal["strict", "warn", "off"]
MODES: tuple[str, ...] = get_args(Mode)


class ValidationPolicy:
    def __init__(self, default: Mode = "warn", overrides: Mapping[str, Mode] | None = None) -> None:
        self.default: Mode = default
        self._overrides: dict[str, Mode] = {}
        for key, mode in (overrides or {}).items():
            platform, sep, module = key.partition(":")
            if not sep or not platform or not module:
                raise ValueError(f"validation override {key!r}: use 'platform:module', 'platform:*' or '*:module'")
            if mode not in MODES:
                raise ValueError(f"validation override {key!r}: mode must be one of {', '.join(MODES)}")
            self._overrides[key] = mode
        self._resolved: dict[tuple[str, str], Mode] = {}

    def mode(self, platform: str, module: str) -> Mode:
        key = (platform, module)
        found = self._resolved.get(key)
        if found is None:
            found = self._lookup(platform, module)
            if len(self._resolved) < 10_000:  # bounded: platform and module names come from the registry
                self._resolved[key] = found
        return found

    def _lookup(self, platform: str, module: str) -> Mode:
        for key in (f"{platform}:{module}", f"{platform}:*", f"*:{module}"):
            if key in self._overrides:
                return self._overrides[key]
        return self.default

    @property
    def all_off(self) -> bool:
        """True when nothing can be validated: the fast path."""
        return self.default == "off" and all(m == "off" for m in self._overrides.values())
