"""The loop guard's hop marker: every request the hub sends carries `X-OCPI-Hub-Hop`, and a request
that arrives carrying this hub's own marker is refused at once (HTTP 508 Loop Detected, OCPI 2000).

The marker is a short keyed id of this hub (HKDF of `secret_key` and `public_url`): every process
of one hub sends the same one, nobody can tell from it which hub it is, and another hub cannot
forge ours without our secret. Markers already on the request that made the hub send something
are carried along (at most `_MAX_CHAIN`), so a loop through several hubs of this kind is caught
too, by whichever hub sees its own marker come back. Markers of a configuration-module request
(versions, credentials, hubclientinfo) are not carried: answering a credentials POST calls the
registering platform back (its versions), which is the handshake, not a loop, even when that
platform is another hub of this kind.
"""

from __future__ import annotations

import contextvars
import re
from typing import TYPE_CHECKING

from starlette.types import Scope

from hub.token_vault import derive_key

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["HOP_HEADER", "HopMarker", "hop_marker"]

HOP_HEADER = "X-OCPI-Hub-Hop"
_RAW_HEADER = HOP_HEADER.lower().encode("latin-1")
_MAX_CHAIN = 8
_MAX_MARKER = 32
_CONFIGURATION = re.compile(r"^/ocpi/(?:versions|[^/]+/?$|[^/]+/(?:credentials|(?:sender|receiver)/hubclientinfo))")
_inbound: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("hub_inbound_hops", default=())


class HopMarker:
    def __init__(self, *, secret_key: str, public_url: str) -> None:
        self.value = derive_key(secret_key, b"ocpi-hub hop marker " + public_url.encode()).hex()[:16]

    def outbound(self) -> str:
        """The header value for a request the hub sends now: the markers of the request being
        handled (if any), then this hub's."""
        return ", ".join((*_inbound.get()[-(_MAX_CHAIN - 1) :], self.value))

    def loops(self, scope: Scope) -> bool:
        """True when an inbound request carries this hub's marker (refuse it). Otherwise remembers
        its markers for the requests sent while handling it (routed requests only)."""
        chain: list[str] = []
        for key, value in scope.get("headers", ()):
            if key == _RAW_HEADER:
                chain += [m.strip() for m in value.decode("latin-1").split(",") if m.strip()]
        if self.value in chain:
            return True
        routed = not _CONFIGURATION.search(str(scope.get("path", "")))
        _inbound.set(tuple(m[:_MAX_MARKER] for m in chain[-_MAX_CHAIN:]) if routed else ())
        return False


def hop_marker(settings: Settings) -> HopMarker:
    return HopMarker(secret_key=settings.secret_key, public_url=settings.public_url)
