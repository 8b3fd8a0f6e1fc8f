"""Which pushes change the store, and how (a pure mapping from a request to a StoreUpdate)."""

from __future__ import annotations

from typing import Any

from hub.mirror.merge import STORED_MODULES, StoreUpdate
from hub.ocpi.paths import object_path
from hub.types import InterfaceRole

__all__ = ["store_update_for"]

_PUSHES = frozenset({"PUT", "PATCH", "DELETE"})


def store_update_for(*, module: str, interface: InterfaceRole, method: str, rest: str, body: Any) -> StoreUpdate | None:
    if interface is not InterfaceRole.RECEIVER:
        return None
    if module == "cdrs" and method == "POST" and isinstance(body, dict):
        cc, pid, cdr_id = body.get("country_code"), body.get("party_id"), body.get("id")
        if all(isinstance(v, str) and v for v in (cc, pid, cdr_id)):
            return StoreUpdate("cdrs", "POST", str(cc), str(pid), (str(cdr_id),), None)
        return None
    if method not in _PUSHES or (module not in STORED_MODULES and module != "sessions"):
        return None
    path = object_path(module, interface, rest)
    if path is None:
        return None
    return StoreUpdate(module, method, path.owner.country_code, path.owner.party_id, path.ids, body)
