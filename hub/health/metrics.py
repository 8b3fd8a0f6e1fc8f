"""`/metrics`: Prometheus text format (`hub.observability.metrics`).

Who may read it: `Authorization: Bearer <operator_token>` (compared in constant time) when the
setting is set; without one, callers on the loopback interface only (a Prometheus or an agent
on the same host). Anyone else gets 401 and nothing: the series name the hub's parties and who
trades with whom. Reading the whole-hub gauges costs three small queries per scrape.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy import func, select
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.db.db import STORAGE_ERRORS
from hub.db.models import OutboxMessage, OutboxStatus, Platform
from hub.health.endpoints import is_operator
from hub.health.outbox import age_seconds, pending_by_kind
from hub.observability.metrics import CONTENT_TYPE, HubMetrics, Snapshot
from hub.state import HubState, hub_state

__all__ = ["metrics_routes"]


async def metrics(request: Request) -> Response:
    hub = hub_state(request)
    if not _may_read(request, hub.settings.operator_token):
        return Response("Unauthorized\n", status_code=401, media_type="text/plain")
    registry: HubMetrics = request.app.state.metrics
    snapshot = await _snapshot(hub)
    rejections = getattr(request.app.state, "rejections", None)
    if rejections is not None:
        snapshot.refused = rejections.counts()
    return Response(registry.render(snapshot), media_type=CONTENT_TYPE)


def _may_read(request: Request, operator_token: str | None) -> bool:
    if operator_token:
        return is_operator(request, operator_token)
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _snapshot(hub: HubState) -> Snapshot:
    snapshot = Snapshot(breakers=hub.breakers.states())
    try:
        async with hub.engine.connect() as conn:
            statuses = await conn.execute(select(col(Platform.status), func.count()).group_by(col(Platform.status)))
            waiting = await pending_by_kind(conn)
            dead = await conn.execute(
                select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.DEAD)
            )
            snapshot.platforms = {str(status): int(count) for status, count in statuses.all()}
            snapshot.outbox_dead = int(dead.scalar() or 0)
    except STORAGE_ERRORS:  # the counters still answer; the database-backed gauges are left out
        return snapshot
    snapshot.outbox_pending = {kind: count for kind, (count, _) in waiting.items()}
    snapshot.outbox_oldest_seconds = {kind: age_seconds(oldest) for kind, (_, oldest) in waiting.items()}
    return snapshot


def metrics_routes() -> list[Route]:
    return [Route("/metrics", metrics, methods=["GET"])]
