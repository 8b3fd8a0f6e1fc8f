"""`/health/live` (the process answers) and `/health/ready` (the database answers)."""

from __future__ import annotations

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.state import hub_state

__all__ = ["health_routes"]


def _json(body: dict[str, object], status: int) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def live(_request: Request) -> Response:
    return _json({"status": "ok"}, 200)


async def ready(request: Request) -> Response:
    hub = hub_state(request)
    checks: dict[str, object] = {}
    try:
        async with hub.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this endpoint exists to say what is wrong
        checks["database"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return _json({"status": "ok" if healthy else "unavailable", "checks": checks}, 200 if healthy else 503)


def health_routes() -> list[Route]:
    return [Route("/health/live", live, methods=["GET"]), Route("/health/ready", ready, methods=["GET"])]
