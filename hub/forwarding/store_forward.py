"""Store and forward toward upstream hubs (upstream-ocpi-hub.md §1.9, §3.4).

An upstream hub expects its partners to keep what it could not take: a push of Locations
(PUT/PATCH), Sessions (PUT/PATCH), CDRs (POST) or Tariffs (PUT/DELETE) that got no correct
answer (unreachable, timeout, HTTP 5xx, no OCPI envelope) is stored and sent again, in the order
it arrived, until the upstream takes it. The hub does that for its parties when the route a push
takes is an upstream hub and no route could take it:

- the push is written, in one transaction, to the hub's store (the mirror) and to the outbox
  queue of that upstream and module (`upstream:{platform}:{module}`); only then the pusher gets
  1000, with a message saying it is queued. The dispatcher delivers the queue in order through
  the same send path (`hub.broadcast.dispatcher`), with the backoff and dead letters of every
  outbox queue;
- while that queue holds anything, every later push of that module through that upstream joins
  the queue instead of overtaking it (one FIFO per upstream connection and module);
- the queue is the primary route's, the one the flow is pinned to (follow-ups stay on their
  route, §3.4): nothing queued there is ever sent through another route;
- a party an upstream reported OFFLINE is not routed to at all (4003 from `decide`): nothing is
  queued for it (§2: "don't queue" applies to the final party, not to the link);
- a direct party's pushes are never queued here: a party that is down gets 4003 and keeps its
  own retry (the spec's rule for a receiver that cannot be reached).

Two pushes in flight at once, the first of which fails while the second gets through, can still
arrive out of order; the window is one request's time budget.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy.exc import DataError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from hub.db.db import SessionFactory, in_transaction
from hub.db.models import OutboxMessage, OutboxStatus
from hub.errors import InvalidParameters
from hub.mirror.repository import StoreRepository
from hub.mirror.updates import store_update_for
from hub.ocpi.envelope import ocpi_response
from hub.ocpi.headers import routing_headers
from hub.ocpi.request import OcpiRequest
from hub.ocpi.urls import encode_path, encode_query
from hub.privacy.personal import PersonalData
from hub.routing.decide import Forward
from hub.types import InterfaceRole

__all__ = ["QUEUED_PUSHES", "UpstreamQueue", "upstream_queue"]

_log = structlog.get_logger("hub.route")

QUEUED_PUSHES = frozenset(
    {
        ("locations", "PUT"),
        ("locations", "PATCH"),
        ("sessions", "PUT"),
        ("sessions", "PATCH"),
        ("cdrs", "POST"),
        ("tariffs", "PUT"),
        ("tariffs", "DELETE"),
    }
)


def upstream_queue(platform_id: int, module: str) -> str:
    """The outbox queue of one upstream connection and module."""
    return f"upstream:{platform_id}:{module}"


class UpstreamQueue:
    def __init__(self, *, sessions: SessionFactory, personal: PersonalData, wake: Callable[[], None]) -> None:
        self._sessions = sessions
        self._personal = personal
        self._wake = wake

    @staticmethod
    def carries(request: OcpiRequest, forward: Forward) -> bool:
        """A push that is stored and forwarded when its upstream route cannot take it."""
        return (
            forward.route.platform.upstream
            and request.interface is InterfaceRole.RECEIVER
            and (request.module, request.method) in QUEUED_PUSHES
        )

    async def waiting(self, request: OcpiRequest, forward: Forward) -> bool:
        """Does the queue this push would join hold anything (it must not be overtaken)?"""
        key = upstream_queue(forward.route.platform.platform_id, request.module)
        async with self._sessions() as session:
            query = select(OutboxMessage.id).where(
                col(OutboxMessage.receiver_key) == key, col(OutboxMessage.status) == OutboxStatus.PENDING
            )
            return (await session.exec(query.limit(1))).first() is not None

    async def put(self, request: OcpiRequest, forward: Forward, *, why: str) -> Response:
        """Store the push and queue it on its route; the pusher's answer once both are committed."""
        try:
            await in_transaction(self._sessions, lambda session: self._store(session, request, forward))
        except (DataError, OverflowError, RecursionError) as refused:  # last resort, as for broadcasts
            _log.warning("queued_push_value_refused", module=request.module, error=type(refused).__name__)
            raise InvalidParameters("A value of this object cannot be stored (too long or out of range)") from None
        self._wake()
        platform = forward.route.platform
        _log.info(
            "push_queued",
            module=request.module,
            method=request.method,
            from_party=str(forward.sender),
            to_party=str(forward.receiver),
            upstream=platform.name,
            why=why,
        )
        headers = {"X-Request-ID": request.request_id, "X-Correlation-ID": request.correlation_id}
        headers |= routing_headers(to=forward.sender, from_=forward.receiver)
        message = f"Stored by the hub: upstream hub {platform.name} {why}; it is delivered in order once it takes it"
        return ocpi_response(status_message=message, headers=headers)

    async def _store(self, session: AsyncSession, request: OcpiRequest, forward: Forward) -> None:
        update = store_update_for(request, forward.sender)
        if update is not None:
            await StoreRepository(session, self._personal).apply(update)
        rest, body = self._personal.seal_outbound(request.module, encode_path(request.path.values), request.body)
        platform_id = forward.route.platform.platform_id
        session.add(
            OutboxMessage(
                kind="forward",
                receiver_key=upstream_queue(platform_id, request.module),
                receiver_platform_id=platform_id,
                to_country_code=forward.receiver.country_code,
                to_party_id=forward.receiver.party_id,
                from_country_code=forward.sender.country_code,
                from_party_id=forward.sender.party_id,
                module=request.module,
                interface_role=request.interface.value,
                method=request.method,
                rest=rest,
                query=encode_query(request.query),
                body=body.decode("utf-8") if body else None,
                correlation_id=request.correlation_id[:255],
            )
        )
