"""Writing what the hub owes receivers, in the caller's transaction (design.md §11.9).

A Broadcast Push is one `broadcast` row, written in the transaction that accepts it, so the
pusher's answer does not depend on how many receivers there are; the dispatcher expands it
into one `outbox_message` per receiving party. HubClientInfo PUTs are written as
`outbox_message` rows directly, in the transaction that changes a platform's status
(`hub.liveness.clientinfo`).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.models import Broadcast
from hub.types import InterfaceRole, PartyKey, Role

__all__ = ["enqueue_broadcast", "party_queue"]


def party_queue(key: PartyKey) -> str:
    return f"party:{key}"


async def enqueue_broadcast(
    session: AsyncSession,
    *,
    module: str,
    interface: InterfaceRole,
    method: str,
    rest: str,
    query: str,
    body: bytes | None,
    pusher: PartyKey,
    role: Role,
    platform_id: int,
    correlation_id: str,
) -> Broadcast:
    row = Broadcast(
        module=module,
        interface_role=interface.value,
        method=method,
        rest=rest,
        query=query,
        body=body.decode("utf-8") if body else None,
        from_country_code=pusher.country_code,
        from_party_id=pusher.party_id,
        from_role=role.value,
        platform_id=platform_id,
        correlation_id=correlation_id[:255],
    )
    session.add(row)
    await session.flush()
    return row
