"""Operator actions on the registry: add, list, show, remove platforms, issue token A, and
apply a platforms file (config as code). Used by the CLI; every change bumps the revision
so running hub processes drop their caches."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from hub.db.db import SessionFactory, session_scope
from hub.db.models import Platform
from hub.db.repositories import PartySpec, RegistryRepository
from hub.errors import InvalidParameters
from hub.liveness.clientinfo import enqueue_status_change
from hub.mirror.repository import StoreRepository
from hub.privacy.personal import PersonalData
from hub.settings import Settings
from hub.token_vault import TokenVault, new_token
from hub.types import ConnectionStatus, PartyKey, PlatformKind, Role, TokenEncoding

__all__ = ["PlatformAdmin", "parse_role"]

_log = structlog.get_logger("hub.admin")


def parse_role(text: str, *, allow_hub: bool = False) -> PartySpec:
    """`CPO:NL:ABC` -> PartySpec(role=CPO, country_code=NL, party_id=ABC); role HUB only for an
    upstream hub's own party (`allow_hub`)."""
    parts = text.strip().split(":")
    if len(parts) != 3:
        raise InvalidParameters(f"Role {text!r} must look like ROLE:CC:PID, e.g. CPO:NL:ABC")
    role, cc, pid = (p.strip().upper() for p in parts)
    if role not in Role.__members__ or (role == Role.HUB.value and not allow_hub):
        raise InvalidParameters(f"Unknown role {role!r}; one of CPO, EMSP, NAP, NSP, OTHER, SCSP")
    if len(cc) != 2 or not cc.isalpha() or len(pid) != 3 or not pid.isalnum():
        raise InvalidParameters(f"Role {text!r}: country code is 2 letters, party id 3 letters or digits")
    return PartySpec(role=role, country_code=cc, party_id=pid)


@dataclass(frozen=True, slots=True)
class Added:
    platform: Platform
    token_a: str


class PlatformAdmin:
    def __init__(self, *, settings: Settings, sessions: SessionFactory, vault: TokenVault) -> None:
        self._settings = settings
        self._sessions = sessions
        self._vault = vault

    @property
    def sessions(self) -> SessionFactory:
        return self._sessions

    async def add(
        self,
        *,
        name: str,
        roles: list[PartySpec],
        token_encoding: TokenEncoding = TokenEncoding.BASE64,
        timeout_seconds: float | None = None,
        token_a: str | None = None,
        from_config: bool = False,
        kind: PlatformKind = PlatformKind.PARTY,
        profile: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> Added:
        if not name.strip() or len(name) > 100:
            raise InvalidParameters("Platform name must be 1-100 characters")
        if not roles:
            raise InvalidParameters("A platform needs at least one --role ROLE:CC:PID")
        token_a = token_a or new_token()
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            if await repo.by_name(name=name) is not None:
                raise InvalidParameters(f"A platform named {name!r} exists already")
            await self._check_free(repo, roles, platform_id=None)
            platform = Platform(
                name=name,
                token_a_hash=self._vault.hash(token_a),
                token_encoding=token_encoding.value,
                timeout_seconds=timeout_seconds,
                from_config=from_config,
                kind=kind.value,
                profile=profile,
                options=options,
            )
            await repo.add_platform(platform=platform, parties=roles)
            await repo.bump_revision()
            await enqueue_status_change(session, platform=platform)
        _log.info("platform_added", platform=name, roles=[f"{r.role}:{r.key}" for r in roles])
        return Added(platform=platform, token_a=token_a)

    @staticmethod
    async def _check_free(repo: RegistryRepository, roles: list[PartySpec], *, platform_id: int | None) -> None:
        owners = await repo.owners_of(keys=[r.key for r in roles])
        for role in roles:
            owner = owners.get(role.key)
            if owner is not None and owner != platform_id:
                raise InvalidParameters(f"Party {role.key} is already served by platform {owner}")

    async def issue_token_a(self, *, platform_id: int) -> str:
        """A new token A, e.g. for a platform that must register again after DELETE."""
        token_a = new_token()
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is None:
                raise InvalidParameters(f"No platform with id {platform_id}")
            platform.token_a_hash = self._vault.hash(token_a)
            if platform.status == ConnectionStatus.SUSPENDED.value:
                platform.set_status(ConnectionStatus.PLANNED)
                await enqueue_status_change(session, platform=platform)
            await repo.save(platform)
            await repo.bump_revision()
        return token_a

    async def set_alternates(self, *, platform_id: int, origins: list[str]) -> list[str]:
        """Failover: alternate base URLs (scheme://host[:port]) tried when the primary fails."""
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.count("/") > 2:
                raise InvalidParameters(f"{origin!r} must be a base URL like https://backup.example.com")
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is None:
                raise InvalidParameters(f"No platform with id {platform_id}")
            platform.alternate_origins = [o.rstrip("/") for o in origins] or None
            await repo.save(platform)
            await repo.bump_revision()
        return origins

    async def pin_client_cert(self, platform_id: int, sha256: str | None) -> str | None:
        """Mutual TLS: the client certificate this platform must present (hex SHA-256 of the DER
        certificate; colons and case are ignored), or None to lift the pin. Takes effect in every
        hub process within registry_poll_seconds. Returns the pin as stored."""
        pin = None
        if sha256 is not None:
            pin = sha256.replace(":", "").strip().lower()
            if len(pin) != 64 or any(c not in "0123456789abcdef" for c in pin):
                raise InvalidParameters("sha256 must be 64 hex digits: the SHA-256 of the DER certificate")
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is None:
                raise InvalidParameters(f"No platform with id {platform_id}")
            platform.client_cert_sha256 = pin
            await repo.save(platform)
            await repo.bump_revision()
        return pin

    async def remove(self, *, platform_id: int) -> bool:
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is not None:  # tell everyone first: its parties will never connect again
                platform.set_status(ConnectionStatus.SUSPENDED)
                await enqueue_status_change(session, platform=platform)
                store = StoreRepository(session, PersonalData.from_settings(self._settings, self._vault))
                for party in await repo.parties(platform_id=platform_id):
                    await store.forget_owner(owner=PartyKey.of(party.country_code, party.party_id))
            removed = await repo.remove(platform_id=platform_id)
            if removed:
                await repo.bump_revision()
        return removed

    async def describe(self, *, platform_id: int | None = None) -> list[dict[str, Any]]:
        """Platforms with parties and endpoints, as plain data (no token, no hash)."""
        async with self._sessions() as session:
            repo = RegistryRepository(session)
            if platform_id is None:
                platforms = list(await repo.all_platforms())
            else:
                found = await repo.get(platform_id=platform_id)
                platforms = [found] if found else []
            out = []
            for p in platforms:
                assert p.id is not None
                out.append(
                    {
                        "platform_id": p.id,
                        "name": p.name,
                        "status": p.status,
                        "version": p.version,
                        "versions_url": p.versions_url,
                        "token_encoding": p.token_encoding,
                        "registered": p.outbound_token_enc is not None,
                        "from_config": p.from_config,
                        "alternate_origins": p.alternate_origins or [],
                        "client_cert_sha256": p.client_cert_sha256,
                        "updated_at": p.updated_at.isoformat(),
                        "parties": [
                            {"role": x.role, "country_code": x.country_code, "party_id": x.party_id}
                            for x in await repo.parties(platform_id=p.id)
                        ],
                        "endpoints": [
                            {"module": e.module, "role": e.interface_role, "url": e.url}
                            for e in await repo.endpoints(platform_id=p.id)
                        ],
                    }
                )
        return out

    async def apply_file(self, path: str | Path) -> list[str]:
        """Config as code: create the platforms a TOML file declares, idempotently.

        Existing platforms (by name) are left as they are, so a restart never resets a
        registration; a token A is set only from `token_a_env` and only at creation.
        """
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
        created = []
        for entry in document.get("platform", []):
            name = str(entry["name"])
            async with self._sessions() as session:
                if await RegistryRepository(session).by_name(name=name) is not None:
                    continue
            token_env = entry.get("token_a_env")
            token_a = os.environ.get(token_env) if token_env else None
            await self.add(
                name=name,
                roles=[parse_role(r) for r in entry.get("roles", [])],
                token_encoding=TokenEncoding(entry.get("token_encoding", "base64")),
                timeout_seconds=entry.get("timeout_seconds"),
                token_a=token_a,
                from_config=True,
            )
            created.append(name)
        return created
