"""The credentials handshake (credentials.asciidoc 17-150), both ways.

Hub as *receiver* (a platform registers with the hub using the token A the operator gave it):
`accept` (POST), `update` (PUT), `unregister` (DELETE). Hub as *sender* (the hub registers with
a platform that gave the operator a token A): `register_with`.

Endpoints: `required_endpoints` (default `credentials`) is what every platform must offer; a
platform that lacks one is refused with 3003 before anything is stored, in both directions
(checklist 19; credentials.asciidoc 90-95).

Tokens: the hub generates the token a platform uses toward the hub (C when receiving, B when
sending) and stores only its hash; the token the hub uses toward the platform (B received,
C received) is stored encrypted.

One exchange per platform at a time (`claim`): of N concurrent POSTs with one token A exactly
one gets 1000 and a token C; the others get HTTP 409 / 2000 "in progress" and no token. Token A
after a *failed* registration (3001-3003, 2001, a lost claim) is unchanged: the platform fixes
its side and POSTs again with it. After a *successful* one it is void in the same transaction
that stores token C: a later POST with it is HTTP 401 / 2000 in this process at once (its token
cache is cleared), and never registers again anywhere (another process that still caches the
token for up to `registry_poll_seconds` answers 405, since the claim requires a token A).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import structlog
from pydantic import ValidationError

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Platform
from hub.db.repositories import ClaimNeed, PartySpec, RegistryRepository
from hub.editions.credentials import credentials_for, pivot_credentials, role_of_v211, v211_discovery
from hub.errors import ClientApiError, InvalidParameters, MethodNotAllowed
from hub.identity import Identity, Stage
from hub.liveness.clientinfo import enqueue_status_change
from hub.liveness.peer import PeerClient, PeerError
from hub.ocpi.credentials import Credentials, CredentialsRole
from hub.ocpi.versions import V211, V221, V230, Edition
from hub.registration.claim import Claims
from hub.registration.discovery import Discovery, discover, require_endpoints
from hub.settings import Settings
from hub.token_vault import TokenVault, new_token
from hub.types import ConnectionStatus, PartyKey, PlatformKind, Role, TokenEncoding

__all__ = ["Registrar", "parse_credentials", "party_specs"]

_log = structlog.get_logger("hub.registration")


def parse_credentials(
    body: Any, edition: Edition = V221, declared: Sequence[tuple[Role, PartyKey]] = ()
) -> Credentials:
    """Valid JSON that is not a Credentials object is 2001 without an HTTP error: it reached
    the OCPI layer (status_codes.asciidoc 12). Read in `edition`'s shape (`hub.editions.credentials`;
    a 2.1.1 object's role is the one `declared` for its party)."""
    try:
        return Credentials.model_validate(pivot_credentials(body, edition, declared))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidParameters(f"Invalid credentials object: {where}: {first['msg']}", http_status=200) from exc


def party_specs(roles: Iterable[CredentialsRole]) -> list[PartySpec]:
    return [
        PartySpec(
            role=r.role.value,
            country_code=r.country_code,
            party_id=r.party_id,
            business_details=r.business_details.model_dump(mode="json", exclude_none=True),
        )
        for r in roles
    ]


def _declared(identity: Identity) -> list[tuple[Role, PartyKey]]:
    return [(p.role, p.key) for p in identity.parties]


class Registrar:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: SessionFactory,
        vault: TokenVault,
        peer: PeerClient,
        on_change: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._vault = vault
        self._peer = peer
        self._on_change = on_change
        self.claims = Claims(settings=settings, sessions=sessions)

    async def credentials_in(self, token: str, edition: Edition, *, platform_id: int) -> dict[str, Any]:
        """The hub's Credentials object in `edition`'s shape for the platform `platform_id` (2.3.0
        lists the parties reachable through the hub: those of every other connected platform)."""
        reachable: list[dict[str, Any]] = []
        if edition is V230:
            async with self._sessions() as session:
                repo = RegistryRepository(session)
                connected = {
                    p.id
                    for p in await repo.all_platforms()
                    if p.status == ConnectionStatus.CONNECTED.value and p.id != platform_id
                }
                reachable = [
                    {
                        "role": p.role,
                        "business_details": p.business_details or {"name": f"{p.country_code}{p.party_id}"},
                        "party_id": p.party_id,
                        "country_code": p.country_code,
                    }
                    for p in await repo.all_parties()
                    if p.platform_id in connected and p.role != Role.HUB.value
                ]
        return credentials_for(edition, self.hub_credentials(token), reachable)

    def hub_credentials(self, token: str) -> dict[str, Any]:
        """The hub's Credentials object: one role, HUB (credentials.asciidoc 187)."""
        details: dict[str, Any] = {"name": self._settings.business_name}
        if self._settings.business_website:
            details["website"] = self._settings.business_website
        return {
            "token": token,
            "url": self._settings.versions_url,
            "roles": [
                {
                    "role": Role.HUB.value,
                    "business_details": details,
                    "party_id": self._settings.party_id,
                    "country_code": self._settings.country_code,
                }
            ],
        }

    # --- hub as receiver ------------------------------------------------------------------

    async def accept(self, identity: Identity, body: Any, edition: Edition) -> dict[str, Any]:
        """POST: register the platform that presented token A; returns the hub's credentials (token C)."""
        if identity.stage is not Stage.REGISTRATION:
            raise MethodNotAllowed("Already registered: use PUT to update or DELETE to unregister")
        return await self._exchange(
            identity, parse_credentials(body, edition, _declared(identity)), edition, need=ClaimNeed.TOKEN_A
        )

    async def update(self, identity: Identity, body: Any, edition: Edition) -> dict[str, Any]:
        """PUT: re-read the platform's endpoints, switch version, issue a new token."""
        if identity.stage is not Stage.CREDENTIALS:
            raise MethodNotAllowed("Not registered yet: use POST to register")
        return await self._exchange(
            identity, parse_credentials(body, edition, _declared(identity)), edition, need=ClaimNeed.REGISTERED
        )

    async def unregister(self, identity: Identity) -> None:
        """DELETE: stop all traffic with the platform; its tokens die."""
        if identity.stage is not Stage.CREDENTIALS:
            raise MethodNotAllowed("Not registered: nothing to delete")
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=identity.platform_id)
            if platform is None:
                raise MethodNotAllowed("Not registered: nothing to delete")
            platform.set_status(ConnectionStatus.SUSPENDED)
            platform.inbound_token_hash = None
            platform.outbound_token_enc = None
            platform.token_a_hash = None
            await repo.save(platform)
            await repo.bump_revision()
            await enqueue_status_change(session, platform=platform)
        self._on_change()
        _log.info("platform_unregistered", platform=identity.platform_name)

    async def _exchange(
        self, identity: Identity, creds: Credentials, edition: Edition, *, need: ClaimNeed
    ) -> dict[str, Any]:
        claimed_at, _ = await self.claims.take(identity.platform_id, need=need)
        try:
            parties = party_specs(creds.roles)
            await self.check_parties(identity.platform_id, parties)
            encoding = TokenEncoding.RAW if edition is V211 else identity.token_encoding
            discovery = await discover(
                self._peer, versions_url=creds.url, token=creds.token, encoding=encoding, wanted=edition
            )
            if edition is V211:
                discovery = v211_discovery(discovery, Role(parties[0].role))
            require_endpoints(discovery, self._settings.required_endpoints)
            token_c = new_token()
            async with session_scope(self._sessions) as session:
                repo = RegistryRepository(session)
                await self.claims.finish(repo, identity.platform_id, claimed_at)
                platform = await repo.get(platform_id=identity.platform_id)
                if (
                    platform is None
                    or platform.status == ConnectionStatus.SUSPENDED.value
                    and identity.stage is Stage.CREDENTIALS
                ):
                    raise MethodNotAllowed("Registration was withdrawn meanwhile")
                platform.versions_url = creds.url
                platform.inbound_token_hash = self._vault.hash(token_c)
                platform.token_a_hash = None
                await self.store(repo, platform, creds.token, parties, discovery)
        except BaseException:
            await self.claims.release(identity.platform_id, claimed_at)
            raise
        self._on_change()
        _log.info(
            "platform_registered",
            platform=identity.platform_name,
            version=discovery.edition.number,
            parties=[f"{p.role}:{p.key}" for p in parties],
            direction="inbound",
        )
        return await self.credentials_in(token_c, edition, platform_id=identity.platform_id)

    async def store(
        self,
        repo: RegistryRepository,
        platform: Platform,
        outbound_token: str,
        parties: Sequence[PartySpec] | None,
        discovery: Discovery,
    ) -> None:
        """What every successful exchange stores (in the caller's transaction, which ends the claim);
        `parties` None keeps the platform's parties as they are."""
        assert platform.id is not None
        if discovery.edition is V211:  # raw tokens both ways (requirements §5.1)
            platform.token_encoding = TokenEncoding.RAW.value
        elif platform.version == V211.number:  # switched up from 2.1.1: 2.2+ tokens are Base64
            platform.token_encoding = TokenEncoding.BASE64.value
        platform.version = discovery.edition.number
        platform.outbound_token_enc = self._vault.encrypt(outbound_token)
        platform.set_status(ConnectionStatus.CONNECTED)
        await repo.save(platform)
        if parties is not None:
            await repo.replace_parties(platform_id=platform.id, parties=parties)
        await repo.replace_endpoints(platform_id=platform.id, endpoints=discovery.endpoints)
        await repo.bump_revision()
        await enqueue_status_change(repo.session, platform=platform)

    async def check_parties(self, platform_id: int, parties: Sequence[PartySpec]) -> None:
        """A platform may only register the parties the operator declared for it (if any), and
        never a party another platform serves."""
        async with self._sessions() as session:
            repo = RegistryRepository(session)
            declared = {
                (p.role, PartyKey.of(p.country_code, p.party_id)) for p in await repo.parties(platform_id=platform_id)
            }
            owners = await repo.owners_of(keys=[p.key for p in parties])
        for spec in parties:
            if declared and (spec.role.upper(), spec.key) not in declared:
                raise InvalidParameters(
                    f"Role {spec.role} {spec.key} is not declared for this platform; ask the hub operator",
                    http_status=200,
                )
            owner = owners.get(spec.key)
            if owner is not None and owner != platform_id:
                raise InvalidParameters(f"Party {spec.key} is already served by another platform", http_status=200)
        keys = [(p.role.upper(), p.key) for p in parties]
        if len(set(keys)) != len(keys):
            raise InvalidParameters(
                "Each role must be a unique (role, party_id, country_code) combination", http_status=200
            )

    async def declared(self, platform_id: int) -> list[tuple[Role, PartyKey]]:
        """The (role, party) pairs the operator declared for the platform (or it registered)."""
        async with self._sessions() as session:
            parties = await RegistryRepository(session).parties(platform_id=platform_id)
        return [(Role(p.role), PartyKey.of(p.country_code, p.party_id)) for p in parties]

    # --- hub as sender --------------------------------------------------------------------

    async def register_with(self, *, platform_id: int, versions_url: str, token_a: str) -> Platform:
        """Register the hub at a platform that gave us a token A (credentials.asciidoc 17-45).

        Under the platform's claim, so it cannot race a POST, a PUT or a rotation for the same
        platform; on failure the platform is left as it was (its token B revoked)."""
        async with self._sessions() as session:
            platform = await RegistryRepository(session).get(platform_id=platform_id)
        if platform is None:
            raise InvalidParameters(f"No platform with id {platform_id}")
        if platform.status == ConnectionStatus.CONNECTED.value and platform.outbound_token_enc:
            raise MethodNotAllowed(f"Platform {platform.name} is already registered")
        claimed_at, platform = await self.claims.take(platform_id, need=ClaimNeed.NOTHING)
        previous_hash: str | None = platform.inbound_token_hash
        token_b_set = False
        try:
            encoding = TokenEncoding(platform.token_encoding)
            upstream = platform.kind != PlatformKind.PARTY.value
            discovery = await discover(
                self._peer, versions_url=versions_url, token=token_a, encoding=encoding, prefer_pivot=upstream
            )
            # the hub cannot POST without the platform's credentials endpoint, whatever is configured
            require_endpoints(discovery, dict.fromkeys(("credentials", *self._settings.required_endpoints)))
            credentials_url = discovery.url_of("credentials")
            assert credentials_url is not None
            edition = discovery.edition
            declared = await self.declared(platform_id)
            if edition is V211:
                encoding = TokenEncoding.RAW
                discovery = v211_discovery(discovery, role_of_v211(declared))
            token_b = new_token()
            await self._set_inbound(platform_id, self._vault.hash(token_b), versions_url)
            token_b_set = True
            try:
                body = await self.credentials_in(token_b, edition, platform_id=platform_id)
                reply = await self._peer.data("POST", credentials_url, token=token_a, encoding=encoding, body=body)
            except PeerError as exc:
                raise ClientApiError(f"Credentials POST failed: {exc}") from exc
            creds = parse_credentials(reply, edition, declared)
            parties = party_specs(creds.roles)
            await self.check_parties(platform_id, parties)
            async with session_scope(self._sessions) as session:
                repo = RegistryRepository(session)
                await self.claims.finish(repo, platform_id, claimed_at)
                stored = await repo.get(platform_id=platform_id)
                assert stored is not None
                stored.token_a_hash = None
                await self.store(repo, stored, creds.token, parties, discovery)
        except BaseException:
            if token_b_set:
                await self._set_inbound(platform_id, previous_hash, versions_url)
            await self.claims.release(platform_id, claimed_at)
            raise
        self._on_change()
        _log.info("platform_registered", platform=stored.name, version=stored.version, direction="outbound")
        return stored

    async def _set_inbound(self, platform_id: int, token_hash: str | None, versions_url: str) -> None:
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            assert platform is not None
            platform.inbound_token_hash = token_hash
            platform.versions_url = versions_url
            await repo.save(platform)
            await repo.bump_revision()
        self._on_change()
