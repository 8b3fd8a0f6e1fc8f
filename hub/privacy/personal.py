"""Personal and payment data at rest (GDPR): what the hub keeps of Tokens, Sessions and CDRs.

The store keeps a Token (uid, contract_id, visual_number) for GET All and Open Routing, the owner
of Sessions and CDRs, and, of a Session a 2.1.1 party is on one side of, a memo: the party of its
token and its charging periods (`hub.mirror.merge.session_memo`). Their `data` is *sealed*: the
orjson text encrypted with the token vault (the same key management as the credentials tokens,
`hub.token_vault`), kept in the JSON column as `{"sealed": "<fernet>"}`, so a database dump
reveals none of it. A Token's row id (`object_id`) is a keyed hash of its uid, since the hub
needs the uid only to find the row again (Open Routing by uid): `pseudonym()` under the current
`secret_key`; lookups also try the keys in `previous_secret_keys` (`pseudonyms()`) until
`reencrypt_store` has moved every row.

Broadcast and outbox rows of personal modules (a Token pushed to the hub) seal their `rest`
(it ends with the uid) and `body` the same way, as text with the `sealed:` prefix, which no JSON
text and no hub-encoded path starts with.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from hub.settings import Settings
from hub.token_vault import derive_key

__all__ = ["PERSONAL_MODULES", "SEALED_PREFIX", "PersonalData", "Vault"]

PERSONAL_MODULES = frozenset({"tokens", "sessions", "cdrs"})
SEALED_KEY = "sealed"
SEALED_PREFIX = "sealed:"
_PSEUDONYM_LABEL = b"ocpi-hub personal id pseudonym"


class Vault(Protocol):
    """What `hub.token_vault.TokenVault` offers for sealing (it may decrypt under older keys)."""

    def encrypt(self, token: str) -> str: ...

    def decrypt(self, sealed: str) -> str: ...


class PersonalData:
    """Seal, open and pseudonymise personal data with the hub's keys.

    >>> from hub.token_vault import TokenVault
    >>> personal = PersonalData(TokenVault("a secret of sixteen+ chars"), secret_key="a secret of sixteen+ chars")
    >>> sealed = personal.seal("tokens", {"uid": "0102"})
    >>> "0102" in str(sealed), personal.open("tokens", sealed)
    (False, {'uid': '0102'})
    """

    def __init__(self, vault: Vault, *, secret_key: str, previous_secret_keys: Sequence[str] = ()) -> None:
        self._vault = vault
        self._keys = [derive_key(k, _PSEUDONYM_LABEL) for k in (secret_key, *previous_secret_keys)]

    @classmethod
    def from_settings(cls, settings: Settings, vault: Vault) -> PersonalData:
        return cls(vault, secret_key=settings.secret_key, previous_secret_keys=settings.previous_secret_keys)

    # --- keyed hashes ---------------------------------------------------------------------

    def pseudonym(self, value: str) -> str:
        """The keyed hash (HMAC-SHA256, hex) of a personal id under the current key."""
        return _hmac(self._keys[0], value)

    def pseudonyms(self, value: str) -> tuple[str, ...]:
        """The keyed hash under the current key, then under each previous key (lookups)."""
        return tuple(_hmac(k, value) for k in self._keys)

    def object_id(self, module: str, object_id: str) -> str:
        """A store row's `object_id`: Tokens by the keyed hash of the upper-cased uid."""
        return self.pseudonym(object_id.upper()) if module == "tokens" else object_id.upper()

    def object_ids(self, module: str, object_id: str) -> tuple[str, ...]:
        """Every `object_id` a row of this id may carry: current key first, then previous keys,
        then the clear id of a row stored before sealing (moved on its next update or by
        `reencrypt_store`)."""
        if module != "tokens":
            return (object_id.upper(),)
        return (*self.pseudonyms(object_id.upper()), object_id.upper())

    # --- stored objects (JSON column) ----------------------------------------------------

    def seal(self, module: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
        if data is None or module not in PERSONAL_MODULES:
            return data
        return {SEALED_KEY: self._vault.encrypt(orjson.dumps(data).decode("utf-8"))}

    def open(self, module: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
        """The clear object (rows written before sealing are returned as they are)."""
        if not is_sealed(data) or module not in PERSONAL_MODULES:
            return data
        assert data is not None
        opened = orjson.loads(self._vault.decrypt(data[SEALED_KEY]))
        return opened if isinstance(opened, dict) else None

    # --- broadcast / outbox text columns ---------------------------------------------------

    def seal_text(self, module: str, text: str | None) -> str | None:
        if text is None or module not in PERSONAL_MODULES or text.startswith(SEALED_PREFIX):
            return text
        return SEALED_PREFIX + self._vault.encrypt(text)

    def open_text(self, text: str | None) -> str | None:
        if text is None or not text.startswith(SEALED_PREFIX):
            return text
        return self._vault.decrypt(text[len(SEALED_PREFIX) :])

    def seal_outbound(self, module: str, rest: str, body: bytes | None) -> tuple[str, bytes | None]:
        """A broadcast's path and body as they are written (accept): sealed for personal modules."""
        sealed_body = self.seal_text(module, body.decode("utf-8")) if body else None
        return self.seal_text(module, rest) or "", sealed_body.encode("utf-8") if sealed_body else None

    def open_outbound(self, rest: str, body: str | None) -> tuple[str, bytes | None]:
        """A stored message's path and body as they are sent (dispatcher)."""
        clear = self.open_text(body)
        return self.open_text(rest) or "", clear.encode("utf-8") if clear else None


def is_sealed(data: Any) -> bool:
    return isinstance(data, dict) and len(data) == 1 and isinstance(data.get(SEALED_KEY), str)


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
