"""Looks up the OCPI objects a translation needs and the request does not carry, in the hub's
store of published data (hub.mirror): the Location of an EVSE (its EvseID, its time zone, the
address an EVSE-level push must repeat) and the previous version of a Location or Tariff.

The store is written after the receiver answered 1000 (hub.forwarding.forwarder), so during a
send it holds the version before the request: `previous` is exactly that.
"""

from __future__ import annotations

from typing import Any, Protocol

from hub.db.db import SessionFactory
from hub.mirror.repository import StoreRepository
from hub.privacy.personal import PersonalData
from hub.settings import Settings
from hub.token_vault import TokenVault
from hub.types import PartyKey

__all__ = ["Directory", "StoreDirectory", "evse_of"]

Json = dict[str, Any]


class Directory(Protocol):
    async def get(self, module: str, owner: PartyKey, object_id: str) -> Json | None: ...


class StoreDirectory:
    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self._sessions = sessions
        vault = TokenVault(settings.secret_key, previous=settings.previous_secret_keys)
        self._personal = PersonalData.from_settings(settings, vault)

    async def get(self, module: str, owner: PartyKey, object_id: str) -> Json | None:
        async with self._sessions() as session:
            return await StoreRepository(session, self._personal).get(module=module, owner=owner, object_id=object_id)


def evse_of(location: Json | None, evse_uid: str | None) -> Json | None:
    """The EVSE `evse_uid` of a stored Location (None when either is unknown)."""
    if location is None or not evse_uid:
        return None
    return next((e for e in location.get("evses") or [] if e.get("uid") == evse_uid), None)
