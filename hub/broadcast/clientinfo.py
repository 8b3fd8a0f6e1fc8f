"""HubClientInfo push (mod_hub_client_info.asciidoc 50-60): on every status change of a
platform, the hub PUTs the ClientInfo of each of its parties to every other CONNECTED
platform that implements the hubclientinfo RECEIVER interface; a platform that becomes
CONNECTED also receives the ClientInfo of every other party. No routing headers (a
configuration module). Written as outbox rows in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.broadcast.outbox import enqueue_message, platform_queue
from hub.db.models import OutboxMessage, Party, Platform
from hub.db.repositories import RegistryRepository
from hub.ocpi.envelope import ocpi_timestamp
from hub.ocpi.headers import new_message_id
from hub.types import ConnectionStatus, InterfaceRole

__all__ = ["client_info", "enqueue_status_change"]

MODULE = "hubclientinfo"


def client_info(party: Party, platform: Platform) -> dict[str, Any]:
    return {
        "party_id": party.party_id,
        "country_code": party.country_code,
        "role": party.role,
        "status": platform.status,
        "last_updated": ocpi_timestamp(platform.status_changed_at),
    }


async def _receivers(repo: RegistryRepository, *, exclude: int) -> list[Platform]:
    found = []
    for platform in await repo.all_platforms():
        if platform.id == exclude or platform.status != ConnectionStatus.CONNECTED.value:
            continue
        if platform.id is None or not platform.outbound_token_enc:
            continue
        endpoints = await repo.endpoints(platform_id=platform.id)
        if any(e.module == MODULE and e.interface_role == InterfaceRole.RECEIVER.value for e in endpoints):
            found.append(platform)
    return found


def _message(receiver_id: int, party: Party, body: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        kind="clientinfo",
        receiver_key=platform_queue(receiver_id),
        receiver_platform_id=receiver_id,
        module=MODULE,
        interface_role=InterfaceRole.RECEIVER.value,
        method="PUT",
        rest=f"{party.country_code}/{party.party_id}",
        body=orjson.dumps(body).decode(),
        correlation_id=new_message_id(),
    )


async def enqueue_status_change(session: AsyncSession, *, platform: Platform) -> int:
    """Queue the ClientInfo PUTs a status change of `platform` causes; returns how many."""
    assert platform.id is not None
    repo = RegistryRepository(session)
    parties = list(await repo.parties(platform_id=platform.id))
    receivers = await _receivers(repo, exclude=platform.id)
    count = 0
    for receiver in receivers:
        assert receiver.id is not None
        for party in parties:
            await enqueue_message(session, _message(receiver.id, party, client_info(party, platform)))
            count += 1
    if platform.status == ConnectionStatus.CONNECTED.value and any(
        e.module == MODULE and e.interface_role == InterfaceRole.RECEIVER.value
        for e in await repo.endpoints(platform_id=platform.id)
    ):
        others = {p.id: p for p in await repo.all_platforms() if p.id != platform.id}
        for party in await repo.all_parties():
            other = others.get(party.platform_id)
            if other is not None:
                await enqueue_message(session, _message(platform.id, party, client_info(party, other)))
                count += 1
    return count
