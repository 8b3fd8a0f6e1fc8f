"""Re-sealing personal data under the current key (`ocpi-hub keys rotate`).

After `secret_key` changes (the old one moved to `previous_secret_keys`), rows sealed under the
old key stay readable (the vault decrypts under every key) and Tokens stay findable (lookups try
the old keyed hashes too). `reencrypt_store` moves every row to the current key: it re-seals the
store's Tokens, Sessions and CDRs, recomputes each Token's keyed `object_id` from its uid, and
re-seals the path and body of broadcast and outbox rows of those modules. Rows written before
sealing existed are sealed on the way. It works in chunks, one transaction each, while the hub
serves; run it again if it was interrupted.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Broadcast, OutboxMessage, StoredObject
from hub.privacy.personal import PERSONAL_MODULES, PersonalData

__all__ = ["reencrypt_store"]

_CHUNK = 500
_log = structlog.get_logger("hub.privacy")


async def reencrypt_store(sessions: SessionFactory, personal: PersonalData) -> int:
    """Re-seal every personal row under the current key; the number of rows rewritten."""
    total = 0
    for table in (StoredObject, Broadcast, OutboxMessage):
        after = 0
        while True:
            async with session_scope(sessions) as session:
                done, after = await _chunk(session, personal, table, after)
            total += done
            if after < 0:
                break
    _log.info("personal_data_resealed", rows=total)
    return total


async def _chunk(session: AsyncSession, personal: PersonalData, table: Any, after: int) -> tuple[int, int]:
    """Re-seal up to _CHUNK rows with id > after: (rows rewritten, last id or -1 at the end)."""
    rows = (
        await session.exec(
            select(table)
            .where(col(table.module).in_(PERSONAL_MODULES), col(table.id) > after)
            .order_by(col(table.id))
            .limit(_CHUNK)
        )
    ).all()
    for row in rows:
        if isinstance(row, StoredObject):
            data = personal.open(row.module, row.data)
            if isinstance(data, dict):
                row.data = personal.seal(row.module, data)
                if row.module == "tokens" and isinstance(data.get("uid"), str):
                    row.object_id = personal.object_id("tokens", data["uid"])
        else:
            row.rest = personal.seal_text(row.module, personal.open_text(row.rest)) or ""
            row.body = personal.seal_text(row.module, personal.open_text(row.body))
        session.add(row)
    await session.flush()
    return len(rows), (rows[-1].id if len(rows) == _CHUNK else -1)
