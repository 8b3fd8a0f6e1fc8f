"""GET All via the hub (transport_and_format.asciidoc 476-487): a list GET on a SENDER interface
addressed to the hub is answered from the hub's mirror, paginated (date_from, date_to, offset,
limit; X-Total-Count, X-Limit, Link), showing only what the requester may see: objects of the
audience it belongs to, never its own, and only where an agreement allows.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.responses import Response

from hub.broadcast.targets import audience
from hub.db.db import SessionFactory
from hub.editions.edges import Editions, edition_of
from hub.errors import NotFound, OcpiError, UnknownLocation, UnknownToken
from hub.mirror.repository import StoreRepository
from hub.ocpi.envelope import ocpi_response
from hub.ocpi.headers import routing_headers
from hub.ocpi.pagination import Page, PageRequest
from hub.ocpi.request import OcpiRequest
from hub.ocpi.versions import PIVOT
from hub.privacy.personal import PersonalData
from hub.routing.agreement_book import PolicySource
from hub.routing.decide import AnswerFromStore
from hub.settings import Settings
from hub.types import PartyKey, Role

__all__ = ["GetAll"]


class GetAll:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        agreements: PolicySource,
        settings: Settings,
        personal: PersonalData,
        editions: Editions | None = None,
    ) -> None:
        self._editions = editions
        self._sessions = sessions
        self._personal = personal
        self._agreements = agreements
        self._settings = settings
        self._hub_party = PartyKey.of(settings.country_code, settings.party_id)

    async def answer(self, request: OcpiRequest, decision: AnswerFromStore) -> Response:
        if not request.path.is_list:
            return await self._own(request, decision)
        params = QueryParams(list(request.query))
        page = PageRequest.parse(params, max_limit=self._settings.page_limit)
        owner_role = Role.EMSP if request.module == "tokens" else Role.CPO
        may_see = bool(decision.roles & audience(owner_role, self._settings.broadcast_extra_roles))
        requester = decision.requester
        policy = await self._agreements.current()
        async with self._sessions() as session:
            repo = StoreRepository(session, self._personal)
            listing = await repo.listing(module=request.module, date_from=page.date_from, date_to=page.date_to)
            visible = [
                row_id
                for row_id, cc, pid in listing
                if may_see
                and PartyKey.of(cc, pid) != requester
                and policy.allows(PartyKey.of(cc, pid), requester, request.module)
            ]
            data = await repo.data_of(visible[page.offset : page.offset + page.limit])
        base = f"{self._settings.public_url}/ocpi/{request.version}/sender/{request.module}"
        headers = Page(total=len(visible), request=page).headers(base, params)
        if self._editions is not None and request.version != PIVOT.number:  # the requester's edition
            data = await self._editions.listing(request, data)
        if edition_of(request.version).routing_headers:
            headers |= routing_headers(to=requester, from_=self._hub_party)
        return ocpi_response(data, headers=headers)

    async def _own(self, request: OcpiRequest, decision: AnswerFromStore) -> Response:
        """The requester's own object (`hub.routing.decide._own_object_get`): the stored Location,
        EVSE, Connector, Tariff or Token, in the requester's edition; unknown: HTTP 404, 2004."""
        ids = request.path.object_ids
        async with self._sessions() as session:
            found = await StoreRepository(session, self._personal).get(
                module=request.module, owner=decision.requester, object_id=ids[0]
            )
        for key, child_id in zip(("evses", "connectors"), ids[1:], strict=False):
            children = found.get(key) if isinstance(found, dict) else None
            id_key = "uid" if key == "evses" else "id"
            found = next(
                (
                    c
                    for c in children or []
                    if isinstance(c, dict) and str(c.get(id_key, "")).upper() == child_id.upper()
                ),
                None,
            )
        if found is None:
            raise _unknown(request.module, f"The hub keeps no such {request.module[:-1]} of yours")
        if self._editions is not None and request.version != PIVOT.number:
            translated = await self._editions.listing(request, [found])
            if not translated:
                why = f"The hub keeps no such {request.module[:-1]} in a form your OCPI version has"
                raise _unknown(request.module, why)
            found = translated[0]
        headers = {}
        if edition_of(request.version).routing_headers:
            headers = routing_headers(to=decision.requester, from_=self._hub_party)
        return ocpi_response(found, headers=headers)


def _unknown(module: str, message: str) -> OcpiError:
    """HTTP 404 with the module's code: 2004 Unknown Token, 2003 Unknown Location, else 2000."""
    if module == "tokens":
        return UnknownToken(message)
    if module == "locations":
        return UnknownLocation(message, http_status=404)
    return NotFound(message)
