"""Operator actions on the registry: add, list, show, update, suspend, resume, remove platforms,
issue token A, and apply a platforms file (config as code). Used by the CLI; every change bumps the revision
so running hub processes drop their caches."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.db import SessionFactory, session_scope
from hub.db.models import OutboxMessage, Platform, StoredObject
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
        _check_timeout(timeout_seconds)
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

    async def resolve(self, ref: str | int) -> int:
        """A platform's id from its id or its name (an all-digit name is looked up as an id first)."""
        text = str(ref).strip()
        async with self._sessions() as session:
            repo = RegistryRepository(session)
            found = await repo.get(platform_id=int(text)) if text.isdigit() else None
            found = found or await repo.by_name(name=text)
        if found is None or found.id is None:
            raise InvalidParameters(f"No platform with id {text}" if text.isdigit() else f"No platform named {text!r}")
        return found.id

    async def update(
        self,
        *,
        platform_id: int,
        name: str | None = None,
        timeout_seconds: float | None = None,
        default_timeout: bool = False,
        token_encoding: TokenEncoding | None = None,
    ) -> Platform:
        """Change what the operator owns: name, reply timeout (or back to the default), token encoding."""
        if name is not None and (not name.strip() or len(name) > 100):
            raise InvalidParameters("Platform name must be 1-100 characters")
        _check_timeout(timeout_seconds)
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is None:
                raise InvalidParameters(f"No platform with id {platform_id}")
            if name is not None and name != platform.name:
                if await repo.by_name(name=name) is not None:
                    raise InvalidParameters(f"A platform named {name!r} exists already")
                platform.name = name
            if timeout_seconds is not None or default_timeout:
                platform.timeout_seconds = timeout_seconds
            if token_encoding is not None:
                platform.token_encoding = token_encoding.value
            await repo.save(platform)
            await repo.bump_revision()
        _log.info("platform_updated", platform_id=platform_id)
        return platform

    async def suspend(self, *, platform_id: int) -> Platform:
        """SUSPENDED: announced to the other parties (HubClientInfo); the hub routes nothing to it."""
        return await self._set_status(platform_id, suspend=True)

    async def resume(self, *, platform_id: int) -> Platform:
        """Back from SUSPENDED: CONNECTED when registered (liveness checks take it from there), else PLANNED."""
        return await self._set_status(platform_id, suspend=False)

    async def _set_status(self, platform_id: int, *, suspend: bool) -> Platform:
        async with session_scope(self._sessions) as session:
            repo = RegistryRepository(session)
            platform = await repo.get(platform_id=platform_id)
            if platform is None:
                raise InvalidParameters(f"No platform with id {platform_id}")
            if suspend:
                status = ConnectionStatus.SUSPENDED
            elif platform.status != ConnectionStatus.SUSPENDED.value:
                raise InvalidParameters(f"Platform {platform_id} is {platform.status}, not SUSPENDED")
            else:
                registered = platform.outbound_token_enc is not None
                status = ConnectionStatus.CONNECTED if registered else ConnectionStatus.PLANNED
            if platform.status != status.value:
                platform.set_status(status)
                await enqueue_status_change(session, platform=platform)
                await repo.save(platform)
                await repo.bump_revision()
        _log.info("platform_status_set", platform_id=platform_id, status=platform.status)
        return platform

    @staticmethod
    async def _counters(
        session: AsyncSession, platform_id: int, keys: set[tuple[str, str]]
    ) -> dict[str, dict[str, int]]:
        """What the hub keeps for a platform: outbox messages to it per status, and objects its
        parties stored at the hub per module."""
        outbox = await session.exec(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.receiver_platform_id == platform_id)
            .group_by(col(OutboxMessage.status))
        )
        stored: dict[str, int] = {}
        for cc, pid in sorted(keys):
            rows = await session.exec(
                select(StoredObject.module, func.count())
                .where(StoredObject.country_code == cc, StoredObject.party_id == pid)
                .group_by(col(StoredObject.module))
            )
            for module, count in rows.all():
                stored[module] = stored.get(module, 0) + int(count)
        return {"outbox": {str(s): int(c) for s, c in outbox.all()}, "stored_objects": stored}

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
        """Platforms with parties, endpoints and counters, as plain data (no token, no hash)."""
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
                parties = await repo.parties(platform_id=p.id)
                keys = {(x.country_code, x.party_id) for x in parties}
                out.append(
                    {
                        "platform_id": p.id,
                        "name": p.name,
                        "status": p.status,
                        "version": p.version,
                        "versions_url": p.versions_url,
                        "kind": p.kind,
                        "token_encoding": p.token_encoding,
                        "timeout_seconds": p.timeout_seconds,
                        "last_seen_at": p.last_seen_at.isoformat() if p.last_seen_at else None,
                        "status_changed_at": p.status_changed_at.isoformat(),
                        "created_at": p.created_at.isoformat(),
                        "registered": p.outbound_token_enc is not None,
                        "from_config": p.from_config,
                        "alternate_origins": p.alternate_origins or [],
                        "client_cert_sha256": p.client_cert_sha256,
                        "updated_at": p.updated_at.isoformat(),
                        "parties": [
                            {"role": x.role, "country_code": x.country_code, "party_id": x.party_id} for x in parties
                        ],
                        "endpoints": [
                            {"module": e.module, "role": e.interface_role, "url": e.url}
                            for e in await repo.endpoints(platform_id=p.id)
                        ],
                        "counters": await self._counters(session, p.id, keys),
                    }
                )
        return out

    async def apply_file(self, path: str | Path) -> list[str]:
        """Config as code: create the platforms a TOML file declares, idempotently.

        Existing platforms (by name) are left as they are, so a restart never resets a
        registration; a token A is set only from `token_a_env` and only at creation.
        """
        try:
            with open(path, "rb") as handle:
                document = tomllib.load(handle)
        except FileNotFoundError:
            raise InvalidParameters(f"Platforms file {str(path)!r} does not exist") from None
        except IsADirectoryError:
            raise InvalidParameters(f"Platforms file {str(path)!r} is a directory") from None
        except OSError as exc:
            raise InvalidParameters(f"Platforms file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InvalidParameters(f"Platforms file {str(path)!r} is not valid TOML: {exc}") from None
        entries = document.get("platform", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InvalidParameters(f"Platforms file {str(path)!r}: declare platforms as [[platform]] tables")
        for number, entry in enumerate(entries, 1):
            where = f"Platforms file {str(path)!r}, platform {number}"
            if not isinstance(entry.get("name"), str):
                raise InvalidParameters(f'{where}: name is missing (name = "...")')
            if not isinstance(entry.get("roles", []), list):
                raise InvalidParameters(f'{where}: roles must be a list, e.g. roles = ["CPO:NL:ABC"]')
            if entry.get("token_encoding", "base64") not in {e.value for e in TokenEncoding}:
                raise InvalidParameters(f"{where}: token_encoding must be base64 or raw")
            timeout = entry.get("timeout_seconds")
            if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
                raise InvalidParameters(f"{where}: timeout_seconds must be a number")
        created = []
        for entry in entries:
            name = str(entry["name"])
            async with self._sessions() as session:
                if await RegistryRepository(session).by_name(name=name) is not None:
                    continue
            token_env = entry.get("token_a_env")
            token_a = os.environ.get(token_env) if token_env else None
            await self.add(
                name=name,
                roles=[parse_role(str(r)) for r in entry.get("roles", [])],
                token_encoding=TokenEncoding(entry.get("token_encoding", "base64")),
                timeout_seconds=entry.get("timeout_seconds"),
                token_a=token_a,
                from_config=True,
            )
            created.append(name)
        return created


def _check_timeout(seconds: float | None) -> None:
    if seconds is not None and not 0 < seconds <= 3600:
        raise InvalidParameters("A platform's timeout must be more than 0 and at most 3600 seconds")
