"""Operator side of agreements: add (allow or deny), list, remove. Every change bumps the
registry revision so running hubs pick it up."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Agreement
from hub.db.repositories import RegistryRepository
from hub.errors import InvalidParameters
from hub.routing.agreements import WILDCARD, party_pattern

__all__ = ["AgreementAdmin"]


class AgreementAdmin:
    def __init__(self, *, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def set(self, *, a: str, b: str, module: str, allow: bool) -> Agreement:
        try:
            sender, receiver = party_pattern(a), party_pattern(b)
        except ValueError as exc:
            raise InvalidParameters(str(exc)) from exc
        module = module.strip().lower() or WILDCARD
        async with session_scope(self._sessions) as session:
            query = select(Agreement).where(
                Agreement.sender == sender, Agreement.receiver == receiver, Agreement.module == module
            )
            row = (await session.exec(query)).first() or Agreement(
                sender=sender, receiver=receiver, module=module, allow=allow
            )
            row.allow = allow
            session.add(row)
            await session.flush()
            await RegistryRepository(session).bump_revision()
        return row

    async def remove(self, *, agreement_id: int) -> bool:
        async with session_scope(self._sessions) as session:
            row = await session.get(Agreement, agreement_id)
            if row is None:
                return False
            await session.delete(row)
            await RegistryRepository(session).bump_revision()
        return True

    async def list(self) -> list[dict[str, Any]]:
        async with self._sessions() as session:
            rows = (await session.exec(select(Agreement).order_by(col(Agreement.id)))).all()
        return [
            {"id": r.id, "party_a": r.sender, "party_b": r.receiver, "module": r.module, "allow": r.allow} for r in rows
        ]
