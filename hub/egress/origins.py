"""URLs parties hand the hub while it routes: a `response_url` (commands, charging profiles) and a
receiver's pagination `Link` or CDR `Location`. The hub follows them later (sealed into hub URLs,
`hub.forwarding.proxies`), so each is checked when it is handed over:

- a response_url must be at the origin (scheme, host, port) of an endpoint the *sender's* platform
  registered (or one of its failover origins): the sender can only have the hub call itself back;
  anything else is 2001 naming response_url, and nothing is forwarded;
- a Link / Location must be at the origin of the receiver's endpoint that was called (or one of
  its failover origins); anything else is dropped from the reply (and logged), never sealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin

from hub.egress.policy import Origin, origin_of
from hub.errors import InvalidParameters
from hub.forwarding.rewrite import CALLBACK_MODULES, body_response_url
from hub.identity import Identity
from hub.ocpi.request import OcpiRequest
from hub.routing.table import PlatformRoute, RoutingTable

__all__ = ["check_response_url", "platform_origins", "same_origin_url"]


def platform_origins(platform: PlatformRoute | None) -> frozenset[Origin]:
    """The origins of every endpoint a platform registered, and of its failover origins."""
    if platform is None:
        return frozenset()
    urls: Iterable[str] = (*platform.endpoints.values(), *platform.alternates)
    return frozenset(o for o in map(origin_of, urls) if o is not None)


def same_origin_url(url: str, base: str, allowed: frozenset[Origin]) -> str | None:
    """`url` made absolute against `base` (the endpoint called), if its origin is allowed and it
    carries no userinfo; None otherwise."""
    absolute = urljoin(base, url.strip())
    return absolute if _at(absolute, allowed) else None


def _at(url: str, allowed: frozenset[Origin]) -> bool:
    """`url` is at one of the `allowed` origins and carries no userinfo (`https://a@b/` is at b)."""
    origin = origin_of(url)
    return origin is not None and origin in allowed and "@" not in url.split("//", 1)[-1].split("/", 1)[0]


async def check_response_url(request: OcpiRequest, caller: Identity, routing: RoutingTable) -> None:
    """2001 unless every response_url of `request` is at one of the caller's registered origins."""
    if request.module not in CALLBACK_MODULES:
        return
    given = [v for k, v in request.query if k == "response_url"]
    in_body = body_response_url(request.parsed)
    if in_body is not None:
        given.append(in_body)
    if not given:
        return
    allowed = platform_origins(await routing.platform(caller.platform_id))
    for url in given:
        if not _at(url, allowed):
            raise InvalidParameters(
                "response_url must be a URL under one of the endpoints your platform registered with the hub"
            )
