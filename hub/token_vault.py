"""Credentials tokens at rest.

Tokens the hub *accepts* are stored as keyed hashes (HMAC-SHA256): the hub can recognise them
but a database dump does not reveal them. Tokens the hub *sends* must be recovered, so they are
stored encrypted (Fernet, AES-128-CBC + HMAC) with a key derived from `secret_key` (HKDF).
Changing `secret_key` therefore invalidates every stored token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["TokenVault", "derive_key", "new_token"]

_TOKEN_BYTES = 32  # 43 URL-safe characters: within string(64), printable, no whitespace


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
    """

    def __init__(self, secret_key: str) -> None:
        self._hash_key = derive_key(secret_key, b"ocpi-hub token hash")
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, b"ocpi-hub token encryption")))

    def hash(self, token: str) -> str:
        return hmac.new(self._hash_key, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError("stored token cannot be decrypted: was secret_key changed?") from exc
