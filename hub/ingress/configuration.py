"""The configuration modules the hub answers itself: versions, version details, credentials.

These are not routed and take no routing headers (transport_and_format.asciidoc 400-403).
Token A is accepted here and nowhere else (checklist A.3).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.errors import NotFound
from hub.ingress.body import read_json
from hub.ingress.ratelimit import admit
from hub.ocpi.envelope import ocpi_response
from hub.ocpi.versions import EDITIONS, Edition, hub_endpoints
from hub.state import hub_state

__all__ = ["configuration_routes"]


def _edition(request: Request) -> Edition:
    edition = EDITIONS.get(request.path_params["version"])
    if edition is None:
        raise NotFound("Unknown OCPI version")
    return edition


async def versions(request: Request) -> Response:
    hub = hub_state(request)
    await admit(request, "versions", registration_ok=True)
    base = hub.settings.public_url
    return ocpi_response([{"version": n, "url": f"{base}/ocpi/{n}"} for n in EDITIONS])


async def version_details(request: Request) -> Response:
    hub = hub_state(request)
    edition = _edition(request)
    identity, _ = await admit(request, "versions", registration_ok=True)
    role = None
    if not edition.interface_roles:  # 2.1.1: the URLs follow the caller's one role
        roles = {p.role for p in identity.parties}
        role = next(iter(roles)) if len(roles) == 1 else None
    endpoints = hub_endpoints(edition, hub.settings.public_url, role)
    return ocpi_response({"version": edition.number, "endpoints": endpoints})


async def credentials(request: Request) -> Response:
    hub = hub_state(request)
    edition = _edition(request)
    identity, presented = await admit(request, "credentials", registration_ok=True)
    if request.method == "GET":
        # The credentials object the client uses toward the hub: the token it presented.
        return ocpi_response(await hub.registrar.credentials_in(presented, edition, platform_id=identity.platform_id))
    if request.method == "DELETE":
        await hub.registrar.unregister(identity)
        return ocpi_response()
    body = await read_json(request)
    if request.method == "POST":
        return ocpi_response(await hub.registrar.accept(identity, body, edition))
    return ocpi_response(await hub.registrar.update(identity, body, edition))


def configuration_routes() -> list[Route]:
    """Each with and without a trailing `/`: parties write both, and Starlette would otherwise
    answer the other one with a bare 307 (no envelope, Location built from the Host header)."""
    return [
        Route(path + slash, handler, methods=methods)
        for path, handler, methods in (
            ("/ocpi/versions", versions, ["GET"]),
            ("/ocpi/{version}", version_details, ["GET"]),
            ("/ocpi/{version}/credentials", credentials, ["GET", "POST", "PUT", "DELETE"]),
        )
        for slash in ("", "/")
    ]
