"""The validators, built once per process: one pydantic TypeAdapter per (edition, object) the
mapping can pick, for request bodies and for reply envelopes. Validation runs on the JSON the hub
already parsed (`validate_python`); nothing is re-serialised."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from hub.ocpi.models.envelope import envelope_of
from hub.types import InterfaceRole
from hub.validation.mapping import REPLIES, REQUESTS, Key, Rule, names, pick
from hub.validation.objects import EDITION_OBJECTS

__all__ = ["Catalogue", "Target", "catalogue"]


@dataclass(frozen=True, slots=True)
class Target:
    """What a payload must be: `name` for messages and counters, `root` the type validated."""

    name: str
    root: Any
    adapter: TypeAdapter[Any]


class Catalogue:
    def __init__(self) -> None:
        self._requests: dict[tuple[str, str, bool], Target] = {}
        self._replies: dict[tuple[str, str, bool], Target] = {}
        for edition, objects in EDITION_OBJECTS.items():
            for name, many in names(REQUESTS):
                if name in objects:
                    root = objects[name]
                    self._requests[(edition, name, many)] = Target(name, root, TypeAdapter(root))
            for name, many in names(REPLIES):
                if name in objects:
                    root = envelope_of(objects[name], many=many, name=name)
                    self._replies[(edition, name, many)] = Target(name, root, TypeAdapter(root))

    def request(self, version: str, module: str, interface: InterfaceRole, method: str, rest: str) -> Target | None:
        return self._find(self._requests, REQUESTS, version, (module, interface, method), rest)

    def reply(self, version: str, module: str, interface: InterfaceRole, method: str, rest: str) -> Target | None:
        return self._find(self._replies, REPLIES, version, (module, interface, method), rest)

    @staticmethod
    def _find(
        targets: dict[tuple[str, str, bool], Target],
        table: dict[Key, tuple[Rule, ...]],
        version: str,
        key: Key,
        rest: str,
    ) -> Target | None:
        rules = table.get(key)
        if rules is None:
            return None
        picked = pick(rules, rest)
        if picked is None:
            return None
        return targets.get((version, *picked))


@functools.cache
def catalogue() -> Catalogue:
    """The process-wide catalogue (models and adapters do not depend on settings)."""
    return Catalogue()
