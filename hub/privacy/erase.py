"""Erasing one token's personal data on request (GDPR art. 17), keeping an audit trail without it.

`erase_token` deletes the Token from the store, scrubs its uid and contract id from the stored
sessions and CDRs of every owner (the fields become "ERASED", the rest stays for accounting), and
deletes the broadcast and outbox rows that carry it (pending ones too: the hub stops spreading it).
One audit event records who, the keyed hash of the uid and the counts, never the uid itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Broadcast, OutboxMessage, StoredObject
from hub.observability.logging import fingerprint
from hub.ocpi.urls import parse_segments
from hub.privacy.personal import PersonalData
from hub.types import PartyKey

__all__ = ["ERASED", "ErasureReport", "erase_token"]

ERASED = "ERASED"
_log = structlog.get_logger("hub.privacy")


@dataclass(frozen=True, slots=True)
class ErasureReport:
    tokens: int  # store rows of the token deleted
    sessions: int  # stored sessions scrubbed
    cdrs: int  # stored CDRs scrubbed
    broadcasts: int  # broadcast rows deleted
    outbox: int  # outbox messages deleted (pending or finished)


async def erase_token(sessions: SessionFactory, personal: PersonalData, *, owner: PartyKey, uid: str) -> ErasureReport:
    async with session_scope(sessions) as session:
        tokens, contract_ids = await _delete_token(session, personal, owner, uid)
        scrubbed = await _scrub_charging(session, personal, uid, contract_ids)
        broadcasts = await _delete_carriers(session, personal, Broadcast, owner, uid)
        outbox = await _delete_carriers(session, personal, OutboxMessage, owner, uid)
    report = ErasureReport(
        tokens=tokens, sessions=scrubbed["sessions"], cdrs=scrubbed["cdrs"], broadcasts=broadcasts, outbox=outbox
    )
    _log.info("token_erased", owner=str(owner), uid_hash=fingerprint(uid.upper()), **asdict(report))
    return report


async def _delete_token(
    session: AsyncSession, personal: PersonalData, owner: PartyKey, uid: str
) -> tuple[int, set[str]]:
    """Delete the token's rows: how many, and its contract ids (to scrub them elsewhere)."""
    rows = (
        await session.exec(
            select(StoredObject).where(
                StoredObject.module == "tokens",
                StoredObject.country_code == owner.country_code,
                StoredObject.party_id == owner.party_id,
                col(StoredObject.object_id).in_(personal.object_ids("tokens", uid)),
            )
        )
    ).all()
    contract_ids: set[str] = set()
    for row in rows:
        data = personal.open("tokens", row.data) or {}
        if isinstance(data.get("contract_id"), str):
            contract_ids.add(data["contract_id"])
        await session.delete(row)
    await session.flush()
    return len(rows), contract_ids


async def _scrub_charging(
    session: AsyncSession, personal: PersonalData, uid: str, contract_ids: set[str]
) -> dict[str, int]:
    counts = {"sessions": 0, "cdrs": 0}
    rows = (
        await session.exec(
            select(StoredObject).where(
                col(StoredObject.module).in_(("sessions", "cdrs")), col(StoredObject.data).is_not(None)
            )
        )
    ).all()
    for row in rows:
        data = personal.open(row.module, row.data)
        if isinstance(data, dict) and _scrub(data, uid, contract_ids):
            row.data = personal.seal(row.module, data)
            session.add(row)
            counts[row.module] += 1
    await session.flush()
    return counts


def _scrub(obj: dict[str, Any], uid: str, contract_ids: set[str]) -> bool:
    """Replace the token's uid and contract id in a Session / CDR (2.2.1 cdr_token, 2.1.1 auth_id)."""

    def hit(value: Any) -> bool:
        return isinstance(value, str) and (value.upper() == uid.upper() or value in contract_ids)

    changed = False
    token = obj.get("cdr_token")
    if isinstance(token, dict) and (hit(token.get("uid")) or hit(token.get("contract_id"))):
        for field in ("uid", "contract_id"):
            if field in token:
                token[field] = ERASED
        changed = True
    if hit(obj.get("auth_id")):
        obj["auth_id"] = ERASED
        changed = True
    return changed


async def _delete_carriers(
    session: AsyncSession,
    personal: PersonalData,
    table: Any,
    owner: PartyKey,
    uid: str,
) -> int:
    """Delete broadcast / outbox rows of the token (path `CC/PID/UID`, sealed or not)."""
    rows: Sequence[Broadcast | OutboxMessage] = (
        await session.exec(select(table).where(table.module == "tokens"))
    ).all()
    deleted = 0
    for row in rows:
        try:
            segments = parse_segments(personal.open_text(row.rest) or "")
        except ValueError:
            continue
        if len(segments) >= 3 and PartyKey.of(segments[0], segments[1]) == owner and segments[2].upper() == uid.upper():
            await session.delete(row)
            deleted += 1
    await session.flush()
    return deleted
