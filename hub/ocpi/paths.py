"""The URL grammar of routed modules and what the hub checks before forwarding.

Client Owned Objects (transport_and_format.asciidoc 231-284) live at
`{module url}/{country_code}/{party_id}/{id}[/...]` on the RECEIVER interface of
locations, sessions, tariffs and tokens; the URL owner must equal the body owner (2001).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from hub.types import InterfaceRole, PartyKey

__all__ = ["CLIENT_OWNED", "ObjectPath", "object_path", "segments"]

# module -> the body field that carries the object id at each URL depth
CLIENT_OWNED: dict[str, tuple[str, ...]] = {
    "locations": ("id", "uid", "id"),
    "sessions": ("id",),
    "tariffs": ("id",),
    "tokens": ("uid",),
}


@dataclass(frozen=True, slots=True)
class ObjectPath:
    """`/{cc}/{pid}/{id}[/{evse_uid}[/{connector_id}]]` of a Client Owned Object."""

    owner: PartyKey
    ids: tuple[str, ...]


def segments(rest: str) -> list[str]:
    """The decoded segments of a still percent-encoded path remainder (`A%2FB` stays one segment)."""
    return [unquote(p) for p in rest.split("/") if p]


def object_path(module: str, interface: InterfaceRole, rest: str) -> ObjectPath | None:
    """The Client Owned Object a RECEIVER-interface path addresses, if any."""
    fields = CLIENT_OWNED.get(module)
    if fields is None or interface is not InterfaceRole.RECEIVER:
        return None
    parts = segments(rest)
    if len(parts) < 3 or len(parts) > 2 + len(fields):
        return None
    return ObjectPath(owner=PartyKey.of(parts[0], parts[1]), ids=tuple(parts[2:]))
