"""`/health/live` (the process answers) and `/health/ready` (database, dispatcher, outbox, breakers).

Unauthenticated callers (load balancers, orchestrators) learn up or down only: the status and
HTTP 200/503. The checks (receivers' origins with their breaker state, counts, outbox lag)
describe the hub's parties and are shown only to the operator: `Authorization: Bearer
<operator_token>` (setting `operator_token`, compared in constant time; unset = never shown).
This bearer check is a stop-gap until the admin API brings OAuth2, which will replace it.
"""

from __future__ import annotations

import hmac

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.db.db import STORAGE_ERRORS
from hub.db.models import utcnow
from hub.health.outbox import age_seconds, pending_by_kind
from hub.state import hub_state

__all__ = ["health_routes", "is_operator"]


def _json(body: dict[str, object], status: int) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def live(_request: Request) -> Response:
    return _json({"status": "ok"}, 200)


async def ready(request: Request) -> Response:
    """Ready when the database answers and the dispatcher loop is alive; outbox lag and open
    breakers are reported (they describe receivers, not this process's ability to serve)."""
    hub = hub_state(request)
    checks: dict[str, object] = {}
    healthy = True
    try:
        async with hub.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            waiting = await pending_by_kind(conn)
        checks["database"] = "ok"
        oldest = min((t for _, t in waiting.values() if t is not None), default=None)
        checks["outbox_lag_seconds"] = age_seconds(oldest)
    except STORAGE_ERRORS as exc:  # report, never raise: this endpoint exists to say what is wrong
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    silence = (utcnow() - hub.dispatcher.heartbeat).total_seconds()
    alive = silence < 10 * hub.settings.dispatcher_poll_seconds + 30
    checks["dispatcher"] = {"alive": alive, "leader": hub.dispatcher.is_leader, "delivered": hub.dispatcher.delivered}
    healthy = healthy and alive
    open_breakers = {name: state for name, state in hub.breakers.states().items() if state != "closed"}
    checks["open_breakers"] = len(open_breakers)
    if open_breakers:
        checks["breakers"] = open_breakers
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable"}
    if is_operator(request, hub.settings.operator_token):
        body["checks"] = checks
    return _json(body, 200 if healthy else 503)


def is_operator(request: Request, operator_token: str | None) -> bool:
    """`Authorization: Bearer <operator_token>`, compared in constant time."""
    if not operator_token:
        return False
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credential.strip().encode("utf-8"), operator_token.encode("utf-8"))


def health_routes() -> list[Route]:
    return [Route("/health/live", live, methods=["GET"]), Route("/health/ready", ready, methods=["GET"])]
