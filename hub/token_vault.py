"""Credentials tokens at rest, and the rotation of the key that protects them.

Tokens the hub *accepts* are stored as keyed hashes (HMAC-SHA256): the hub can recognise them
but a database dump does not reveal them. Tokens the hub *sends* must be recovered, so they are
stored encrypted (Fernet, AES-128-CBC + HMAC) with a key derived from `secret_key` (HKDF).

Key rotation (`previous_secret_keys`): a token sealed under a previous key still decrypts
(MultiFernet tries the current key, then each previous one) and `rotate` re-seals it under the
current key (`ocpi-hub keys rotate` does that to every stored token, in place). A hash cannot be
re-made without the token, so `hashes` gives a token's hash under every key, current first:
authentication looks all of them up in one query and, on a match under a previous key, stores
the current-key hash instead (`hub.authentication`, lazy migration). A previous key can be
dropped once every sealed token is rotated and every platform has called since (or had its
token rotated with `ocpi-hub platforms rotate-token`). Changing `secret_key` without listing the
old one in `previous_secret_keys` invalidates every stored token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["TokenVault", "derive_key", "new_token"]

_TOKEN_BYTES = 32  # 43 URL-safe characters: within string(64), printable, no whitespace
_HASH_LABEL = b"ocpi-hub token hash"
_SEAL_LABEL = b"ocpi-hub token encryption"


def new_token() -> str:
    """A fresh credentials token (credentials.asciidoc: string(64), printable ASCII)."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def derive_key(secret: str, label: bytes) -> bytes:
    """A 32-byte key for one purpose (`label`) from the hub's `secret_key` (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())


class TokenVault:
    """Hash tokens the hub accepts, encrypt tokens the hub sends.

    >>> vault = TokenVault("a secret of sixteen+ chars")
    >>> vault.decrypt(vault.encrypt("t0ken")) == "t0ken"
    True
    >>> rotated = TokenVault("the new secret, 16+ chars", previous=["a secret of sixteen+ chars"])
    >>> rotated.decrypt(vault.encrypt("t0ken")) == "t0ken"
    True
    """

    def __init__(self, secret_key: str, *, previous: Sequence[str] = ()) -> None:
        keys = [secret_key, *(k for k in previous if k != secret_key)]
        self._hash_keys = [derive_key(k, _HASH_LABEL) for k in keys]
        fernets = [Fernet(base64.urlsafe_b64encode(derive_key(k, _SEAL_LABEL))) for k in keys]
        self._current = fernets[0]
        self._fernet = MultiFernet(fernets)

    def hash(self, token: str) -> str:
        """The token's hash under the current key (what is stored from now on)."""
        return self._hash(self._hash_keys[0], token)

    def hashes(self, token: str) -> list[str]:
        """The token's hash under the current key, then under each previous key."""
        return [self._hash(key, token) for key in self._hash_keys]

    @staticmethod
    def _hash(key: bytes, token: str) -> str:
        return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError("stored token cannot be decrypted: was secret_key changed?") from exc

    def is_current(self, sealed: str) -> bool:
        """Whether `sealed` opens under the current key alone (nothing to rotate)."""
        try:
            self._current.decrypt(sealed.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def rotate(self, sealed: str) -> str:
        """`sealed` re-encrypted under the current key (ValueError if no known key opens it)."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise ValueError("stored token cannot be decrypted: was secret_key changed?") from exc
