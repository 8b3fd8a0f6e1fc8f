"""The hub's HubClientInfo SENDER interface: the list of connected parties and their status
(mod_hub_client_info.asciidoc 182-252); and its RECEIVER interface, where an upstream hub tells
which parties it reaches (`hub.routing.learn`). A configuration module: no routing headers.

The push side (PUT to every platform on each status change) and the still-alive check are
built with Broadcast Push on the outbox.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.db.repositories import RegistryRepository
from hub.errors import NotFound
from hub.ingress.body import read_json
from hub.ingress.ratelimit import admit
from hub.ocpi.envelope import ocpi_response, ocpi_timestamp
from hub.ocpi.pagination import Page, PageRequest
from hub.ocpi.versions import EDITIONS
from hub.routing.upstream_routes import RouteRepository
from hub.state import hub_state
from hub.types import ConnectionStatus, PartyKey

__all__ = ["hubclientinfo_routes"]


async def client_info_list(request: Request) -> Response:
    hub = hub_state(request)
    version = request.path_params["version"]
    if version not in EDITIONS:
        raise NotFound("Unknown OCPI version")
    await admit(request, "hubclientinfo")
    page = PageRequest.parse(request.query_params, max_limit=hub.settings.page_limit)
    async with hub.sessions() as session:
        repo = RegistryRepository(session)
        platforms = {p.id: p for p in await repo.all_platforms()}
        parties = await repo.all_parties()
        routes = await RouteRepository(session).all()
    rows = []
    for party in parties:
        platform = platforms[party.platform_id]
        if page.admits(platform.status_changed_at):
            rows.append(
                {
                    "party_id": party.party_id,
                    "country_code": party.country_code,
                    "role": party.role,
                    "status": platform.status,
                    "last_updated": ocpi_timestamp(platform.status_changed_at),
                }
            )
    direct = {PartyKey.of(p.country_code, p.party_id) for p in parties}
    for route in routes:  # parties behind upstream hubs (a party connected directly is listed as such)
        via = platforms[route.platform_id]
        if PartyKey.of(route.country_code, route.party_id) in direct or not page.admits(route.updated_at):
            continue
        rows.append(
            {
                "party_id": route.party_id,
                "country_code": route.country_code,
                "role": route.role,
                "status": route.status if via.status == ConnectionStatus.CONNECTED.value else via.status,
                "last_updated": ocpi_timestamp(route.updated_at),
            }
        )
    chunk = rows[page.offset : page.offset + page.limit]
    base = f"{hub.settings.public_url}/ocpi/{version}/sender/hubclientinfo"
    return ocpi_response(chunk, headers=Page(total=len(rows), request=page).headers(base, request.query_params))


async def client_info_pushed(request: Request) -> Response:
    """PUT {hubclientinfo RECEIVER}/{country_code}/{party_id} from an upstream hub."""
    hub = hub_state(request)
    if request.path_params["version"] not in EDITIONS:
        raise NotFound("Unknown OCPI version")
    identity, _ = await admit(request, "hubclientinfo")
    key = _key(request)
    body = await read_json(request)
    await hub.learner.client_info(platform_id=identity.platform_id, key=key, body=body)
    return ocpi_response(None)


async def client_info_one(request: Request) -> Response:
    """GET {hubclientinfo RECEIVER}/{country_code}/{party_id}: what this hub knows of one party
    through the caller (an upstream hub checking what it pushed)."""
    hub = hub_state(request)
    if request.path_params["version"] not in EDITIONS:
        raise NotFound("Unknown OCPI version")
    identity, _ = await admit(request, "hubclientinfo")
    key = _key(request)
    async with hub.sessions() as session:
        routes = [r for r in await RouteRepository(session).by_key(key=key) if r.platform_id == identity.platform_id]
    if not routes:
        raise NotFound(f"No ClientInfo for {key}")
    route = routes[0]
    return ocpi_response(
        {
            "party_id": route.party_id,
            "country_code": route.country_code,
            "role": route.role,
            "status": route.status,
            "last_updated": ocpi_timestamp(route.updated_at),
        }
    )


def _key(request: Request) -> PartyKey:
    cc, pid = str(request.path_params["country_code"]), str(request.path_params["party_id"])
    if len(cc) != 2 or not cc.isalpha() or not 1 <= len(pid) <= 3 or not pid.isalnum():
        raise NotFound("Unknown party")
    return PartyKey.of(cc, pid)


def hubclientinfo_routes() -> list[Route]:
    path = "/ocpi/{version}/sender/hubclientinfo"
    one = "/ocpi/{version}/receiver/hubclientinfo/{country_code}/{party_id}"
    return [
        *(Route(path + slash, client_info_list, methods=["GET"]) for slash in ("", "/")),  # no bare 307
        Route(one, client_info_pushed, methods=["PUT"]),
        Route(one, client_info_one, methods=["GET"]),
    ]
