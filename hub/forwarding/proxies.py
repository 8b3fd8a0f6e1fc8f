"""Hub URLs that stand in for URLs a party cannot reach (requirements §3.9, checklist F 60-63),
minted without a database row: the target is sealed into the URL itself.

A hub URL is `{public_url}/ocpi/{version}/proxy/{sealed}` where `sealed` is the target (kind,
module, target URL, target and caller platform, to and from) encrypted and authenticated with
Fernet under a key derived from `secret_key`, with its minting time inside. Any hub process
with the same secret can open it; nobody can forge or read one (a party never learns the other
party's URL); it expires after `proxy_url_ttl_seconds`; only the platform it was issued to may
follow it. Changing `secret_key` voids every hub URL issued before, unless the old key is
listed in `previous_secret_keys` (hub URLs sealed under it still open until they expire).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hub.token_vault import derive_key
from hub.types import PartyKey

__all__ = ["ProxyKind", "ProxyTarget", "Proxies"]

_MAX_SEALED = 4096


class ProxyKind:
    PAGE = "page"
    LOCATION = "location"
    CALLBACK = "callback"


@dataclass(frozen=True, slots=True)
class ProxyTarget:
    kind: str
    module: str
    target_url: str
    target_platform_id: int
    caller_platform_id: int
    to: PartyKey
    from_: PartyKey


class Proxies:
    def __init__(
        self,
        *,
        secret_key: str,
        public_url: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
        previous_secret_keys: Sequence[str] = (),
    ) -> None:
        self._clock = clock
        keys = [secret_key, *previous_secret_keys]
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(derive_key(k, b"ocpi-hub proxy url"))) for k in keys]
        )
        self._public_url = public_url
        self._ttl = ttl_seconds

    def mint(self, target: ProxyTarget, *, version: str) -> str:
        payload = orjson.dumps(
            [
                target.kind,
                target.module,
                target.target_url,
                target.target_platform_id,
                target.caller_platform_id,
                target.to.country_code,
                target.to.party_id,
                target.from_.country_code,
                target.from_.party_id,
            ]
        )
        sealed = self._fernet.encrypt_at_time(payload, int(self._clock())).decode("ascii").rstrip("=")
        return f"{self._public_url}/ocpi/{version}/proxy/{sealed}"

    def open(self, sealed: str, *, caller_platform_id: int) -> ProxyTarget | None:
        """The target behind a hub URL, if it is genuine, unexpired and issued to this caller."""
        if not sealed or len(sealed) > _MAX_SEALED:
            return None
        try:
            padded = sealed + "=" * (-len(sealed) % 4)
            kind, module, url, target_id, caller_id, to_cc, to_pid, from_cc, from_pid = orjson.loads(
                self._fernet.decrypt_at_time(padded.encode("ascii"), self._ttl, int(self._clock()))
            )
        except (InvalidToken, ValueError, TypeError, UnicodeEncodeError):
            return None
        if caller_id != caller_platform_id:
            return None
        return ProxyTarget(
            kind=kind,
            module=module,
            target_url=url,
            target_platform_id=target_id,
            caller_platform_id=caller_id,
            to=PartyKey(to_cc, to_pid),
            from_=PartyKey(from_cc, from_pid),
        )
