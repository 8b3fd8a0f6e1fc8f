"""Which pushes change the mirror, and how (a pure mapping from a request to a StoreUpdate)."""

from __future__ import annotations

from hub.mirror.merge import STORED_MODULES, StoreUpdate
from hub.ocpi.request import OcpiRequest
from hub.types import InterfaceRole, PartyKey

__all__ = ["store_update_for"]

_PUSHES = frozenset({"PUT", "PATCH", "DELETE"})


def store_update_for(request: OcpiRequest, sender: PartyKey, *, memo: bool = False) -> StoreUpdate | None:
    """The mirror change a push makes; its owner is the checked sender (`hub.routing.decide`).
    `memo`: a Session a 2.1.1 party is on one side of (`hub.mirror.merge.session_memo`)."""
    if request.interface is not InterfaceRole.RECEIVER:
        return None
    body = request.parsed
    if request.module == "cdrs" and request.method == "POST" and isinstance(body, dict):
        cdr_id = body.get("id")
        if isinstance(cdr_id, str) and cdr_id:
            return StoreUpdate("cdrs", "POST", sender.country_code, sender.party_id, (cdr_id,), None)
        return None
    if request.method not in _PUSHES or (request.module not in STORED_MODULES and request.module != "sessions"):
        return None
    owner = request.path.owner
    ids = request.path.object_ids
    if owner is None or not ids:
        return None
    keep = memo and request.module == "sessions"
    return StoreUpdate(request.module, request.method, owner.country_code, owner.party_id, ids, body, keep)
