# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 Tokens module objects (2.3.0 mod_tokens.asciidoc): TokenType is an OpenEnum (EMAID
is new)."""

from __future__ import annotations

from hub.ocpi.models.base import patch_of
from hub.ocpi.models.types import OpenEnum
from hub.ocpi.models.v221 import tokens as v221
from hub.ocpi.models.v221.tokens import EnergyContract, LocationReferences

__all__ = ["AuthorizationInfo", "EnergyContract", "LocationReferences", "Token", "TokenPatch"]


class Token(v221.Token):
    """mod_tokens.asciidoc, Token object."""

    type: OpenEnum


class AuthorizationInfo(v221.AuthorizationInfo):
    """mod_tokens.asciidoc, AuthorizationInfo object."""

    token: Token


TokenPatch = patch_of(Token)
