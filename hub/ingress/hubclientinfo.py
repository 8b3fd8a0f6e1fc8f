"""The hub's HubClientInfo SENDER interface: the list of connected parties and their status
(mod_hub_client_info.asciidoc 182-252). A configuration module: no routing headers.

The push side (PUT to every platform on each status change) and the still-alive check are
built with Broadcast Push on the outbox.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.db.repositories import RegistryRepository
from hub.errors import NotFound
from hub.ingress.ratelimit import admit
from hub.ocpi.envelope import ocpi_response, ocpi_timestamp
from hub.ocpi.pagination import Page, PageRequest
from hub.ocpi.versions import EDITIONS
from hub.state import hub_state

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
    chunk = rows[page.offset : page.offset + page.limit]
    base = f"{hub.settings.public_url}/ocpi/{version}/sender/hubclientinfo"
    return ocpi_response(chunk, headers=Page(total=len(rows), request=page).headers(base, request.query_params))


def hubclientinfo_routes() -> list[Route]:
    path = "/ocpi/{version}/sender/hubclientinfo"
    return [Route(path + slash, client_info_list, methods=["GET"]) for slash in ("", "/")]  # no bare 307
