"""Accepting a Broadcast Push (transport_and_format.asciidoc 426-457): a push of locations, tariffs
or tokens addressed to the hub itself.

In one transaction the hub's mirror is updated and one `broadcast` row is written (the dispatcher
fans it out to every party allowed to receive it); only then the pusher gets 1000, with TO = pusher
and FROM = hub. A push older than the stored object is accepted but not sent on.

Bad values are refused before the transaction, whatever `validation_mode` (`hub.validation.stored`,
after the body guard of `hub.ingress.body`): 2001 naming the field. Should the database still
refuse a value (a string too long for a column, a number out of range), the answer is 2001 too,
without the database's message, and nothing of the push is kept.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy.exc import DataError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from hub.broadcast.outbox import enqueue_broadcast
from hub.db.db import SessionFactory, in_transaction
from hub.errors import InvalidParameters
from hub.identity import Identity
from hub.mirror.merge import Outcome, StoreUpdate
from hub.mirror.repository import StoreRepository
from hub.mirror.updates import store_update_for
from hub.ocpi.envelope import ocpi_response
from hub.ocpi.headers import routing_headers
from hub.ocpi.request import OcpiRequest
from hub.ocpi.urls import encode_path, encode_query
from hub.ocpi.versions import PIVOT
from hub.privacy.personal import PersonalData
from hub.routing.decide import Broadcast
from hub.types import PartyKey
from hub.validation import PayloadValidator, ValidationContext

__all__ = ["BroadcastAcceptor"]

_log = structlog.get_logger("hub.broadcast")


class BroadcastAcceptor:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        validator: PayloadValidator,
        hub_party: PartyKey,
        wake: Callable[[], None],
        personal: PersonalData,
    ) -> None:
        self._sessions = sessions
        self._personal = personal
        self._validator = validator
        self._hub_party = hub_party
        self._wake = wake

    async def accept(self, request: OcpiRequest, broadcast: Broadcast, sender: Identity) -> Response:
        rest = encode_path(request.path.values)
        if request.body is not None:
            context = ValidationContext(
                sender_platform=sender.platform_name,
                receiver_platform="(broadcast)",
                version=PIVOT.number,  # bodies are 2.2.1 past ingress (hub.editions)
                module=request.module,
                interface=request.interface,
                method=request.method,
                rest=rest,
            )
            self._validator.check_request(context, request.parsed)
        update = store_update_for(request, broadcast.pusher)
        try:
            outcome = await in_transaction(
                self._sessions, lambda session: self._store(session, request, broadcast, sender, update, rest)
            )
        except (DataError, OverflowError, RecursionError) as refused:  # last resort: values are checked above
            _log.warning("broadcast_value_refused", module=request.module, error=type(refused).__name__)
            raise InvalidParameters("A value of this object cannot be stored (too long or out of range)") from None
        self._wake()
        message = "Older than the stored object: not broadcast" if outcome is Outcome.STALE else None
        return ocpi_response(
            status_message=message, headers=routing_headers(to=broadcast.pusher, from_=self._hub_party)
        )

    async def _store(
        self,
        session: AsyncSession,
        request: OcpiRequest,
        broadcast: Broadcast,
        sender: Identity,
        update: StoreUpdate | None,
        rest: str,
    ) -> Outcome | None:
        """The mirror update and the broadcast row, in the caller's transaction."""
        outcome = await StoreRepository(session, self._personal).apply(update) if update is not None else None
        if outcome is Outcome.STALE:
            _log.info("broadcast_stale_not_sent", module=request.module, pusher=str(broadcast.pusher))
            return outcome
        rest, body = self._personal.seal_outbound(request.module, rest, request.body)  # Tokens: sealed at rest
        await enqueue_broadcast(
            session,
            module=request.module,
            interface=request.interface,
            method=request.method,
            rest=rest,
            query=encode_query(request.query),
            body=body,
            pusher=broadcast.pusher,
            role=broadcast.role,
            platform_id=sender.platform_id,
            correlation_id=request.correlation_id,
        )
        return outcome
