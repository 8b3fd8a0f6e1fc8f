"""The agreements currently in force, read from SQL and cached until the registry changes."""

from __future__ import annotations

from typing import Protocol

from sqlmodel import col, select

from hub.db.db import SessionFactory
from hub.db.models import Agreement
from hub.routing.agreements import AgreementPolicy, Rule

__all__ = ["AgreementBook", "PolicySource"]


class PolicySource(Protocol):
    async def current(self) -> AgreementPolicy: ...


class AgreementBook:
    def __init__(self, *, sessions: SessionFactory, default_allow: bool) -> None:
        self._sessions = sessions
        self._default = default_allow
        self._policy: AgreementPolicy | None = None

    def invalidate(self) -> None:
        self._policy = None

    async def current(self) -> AgreementPolicy:
        policy = self._policy
        if policy is None:
            async with self._sessions() as session:
                rows = (await session.exec(select(Agreement).order_by(col(Agreement.id)))).all()
            policy = AgreementPolicy(
                (Rule(r.sender, r.receiver, r.module, r.allow) for r in rows), default_allow=self._default
            )
            self._policy = policy
        return policy
