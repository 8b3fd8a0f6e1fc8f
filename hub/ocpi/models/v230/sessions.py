# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 Sessions module objects (2.3.0 mod_sessions.asciidoc): the 2.2.1 Session with the
2.3.0 Price and CdrToken."""

from __future__ import annotations

from hub.ocpi.models.base import patch_of
from hub.ocpi.models.v221 import sessions as v221
from hub.ocpi.models.v221.sessions import ChargingPreferences
from hub.ocpi.models.v230.cdrs import CdrToken
from hub.ocpi.models.v230.types import Price

__all__ = ["ChargingPreferences", "Session", "SessionPatch"]


class Session(v221.Session):
    """mod_sessions.asciidoc, Session object."""

    cdr_token: CdrToken
    total_cost: Price | None = None


SessionPatch = patch_of(Session)
