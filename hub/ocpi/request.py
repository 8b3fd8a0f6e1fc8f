"""One OCPI request, parsed once and strictly at ingress; everything after ingress reads this value.

`parse_path`, `parse_query` and `parse_routing` read the raw request (path still percent-encoded)
into the parts of an `OcpiRequest` (assembled by `hub.ingress.functional.read_request`), or raise
`InvalidParameters` (2001, HTTP 400) naming what was wrong. Nothing is forwarded, stored or
broadcast for a request that fails here.

Path segments after the module are decoded exactly once and must then be printable ASCII without
`/` or `\\`, never `.` or `..` (nor decode a second time into one of those), and within the length
of the parameter they stand for (`hub.ocpi.grammar`). The query keeps only the parameters the
module defines, each checked (DateTime, integer, token type, URL). Routing headers are stripped of
ASCII blanks and must be 2 letters / 3 letters or digits: what is forwarded is the value checked.
Outbound URLs are built from these values by `hub.ocpi.urls`, never from the request text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from hub.errors import InvalidParameters, NotFound
from hub.ocpi.grammar import COMMAND_TYPES, LITERALS, Param, Shape, shapes_for
from hub.ocpi.pagination import parse_datetime
from hub.ocpi.versions import CONFIGURATION_MODULES
from hub.types import InterfaceRole, PartyKey

__all__ = [
    "NO_BODY",
    "OcpiRequest",
    "PathParams",
    "RoutingPair",
    "decode_segment",
    "parse_path",
    "parse_query",
    "parse_routing",
]

NO_BODY: Any = None
_INTERFACES = {"sender": InterfaceRole.SENDER, "receiver": InterfaceRole.RECEIVER}
_MODULE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # used with fullmatch: `$` admits a trailing newline
_HEX = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_CC = re.compile(r"[A-Za-z]{2}")
_PID = re.compile(r"[A-Za-z0-9]{3}")
_TOKEN_TYPES = frozenset({"AD_HOC_USER", "APP_USER", "OTHER", "RFID"})
_OWNER_NAMES = frozenset({"country_code", "party_id"})
_LIST_PARAMS = frozenset({"date_from", "date_to", "offset", "limit"})
_MAX_VALUE = 255


@dataclass(frozen=True, slots=True)
class PathParams:
    """The typed parameters of the path after the module URL, in order (`names[i]` -> `values[i]`)."""

    names: tuple[str, ...] = ()
    values: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        for key, value in zip(self.names, self.values, strict=True):
            if key == name:
                return value
        return None

    @property
    def owner(self) -> PartyKey | None:
        """The country_code/party_id of a Client Owned Object URL (transport_and_format 231-284)."""
        cc, pid = self.get("country_code"), self.get("party_id")
        return PartyKey.of(cc, pid) if cc and pid else None

    @property
    def object_ids(self) -> tuple[str, ...]:
        """The ids after the owner: location_id[, evse_uid[, connector_id]], session_id, ...
        (literal segments such as `authorize` are named by themselves and left out)."""
        pairs = zip(self.names, self.values, strict=True)
        return tuple(v for n, v in pairs if n not in _OWNER_NAMES and n not in LITERALS)

    @property
    def is_list(self) -> bool:
        return not self.values


@dataclass(frozen=True, slots=True)
class RoutingPair:
    """One OCPI-to or OCPI-from pair, exactly as checked: the values forwarded are these."""

    country_code: str
    party_id: str

    @property
    def key(self) -> PartyKey:
        return PartyKey.of(self.country_code, self.party_id)


@dataclass(frozen=True, slots=True)
class OcpiRequest:
    """A functional-module request: what every later stage (decide, send, store) reads."""

    method: str
    version: str
    module: str
    interface: InterfaceRole
    path: PathParams
    query: tuple[tuple[str, str], ...]
    to: RoutingPair | None
    from_: RoutingPair | None
    request_id: str
    correlation_id: str
    body: bytes | None = None
    parsed: Any = field(default=NO_BODY, compare=False)

    @property
    def to_key(self) -> PartyKey | None:
        return self.to.key if self.to else None

    @property
    def is_list_get(self) -> bool:
        return self.method == "GET" and self.interface is InterfaceRole.SENDER and self.path.is_list


def decode_segment(raw: str, param: Param | None = None) -> str:
    """One path segment, percent-decoded once and checked; InvalidParameters names the parameter."""
    name = param.name if param else "path"
    data = raw.encode("latin-1", errors="replace")
    if _HEX.search(data):
        raise InvalidParameters(f"Path parameter {name} has a malformed percent-encoding")
    value = _ascii(unquote_to_bytes(data), name)
    twice = _ascii(unquote_to_bytes(value.encode("ascii")), name) if "%" in value else value
    for candidate in (value, twice):
        if candidate in ("", ".", "..") or "/" in candidate or "\\" in candidate:
            raise InvalidParameters(f"Path parameter {name} is empty, a dot segment or contains a slash")
    if param is not None and len(value) > param.max_length:
        raise InvalidParameters(f"Path parameter {name} is longer than {param.max_length} characters")
    return value


def _ascii(data: bytes, name: str) -> str:
    if any(b < 0x20 or b > 0x7E for b in data):
        raise InvalidParameters(f"Path parameter {name} must be printable ASCII")
    return data.decode("ascii")


def parse_path(*, module: str, interface_segment: str, rest: Sequence[str]) -> tuple[InterfaceRole, PathParams]:
    """The interface and the typed parameters of `rest` (raw segments after the module)."""
    interface = _INTERFACES.get(interface_segment)
    if interface is None or not _MODULE.fullmatch(module) or module in CONFIGURATION_MODULES:
        raise NotFound("Unknown module endpoint")
    shapes = shapes_for(module, interface)
    if not shapes:
        raise NotFound(f"Module {module} has no {interface.value} interface")
    segments = list(rest)
    if segments and segments[-1] == "" and len(segments) == 1:
        segments = []  # `.../locations/`: the collection itself
    for shape in shapes:
        if shape.depth == len(segments):
            return interface, _match(shape, segments)
    depths = sorted({s.depth for s in shapes})
    raise InvalidParameters(
        f"The {module} {interface.value} URL takes {' or '.join(map(str, depths))} path parameters, not {len(segments)}"
    )


def _match(shape: Shape, segments: list[str]) -> PathParams:
    values = []
    for param, raw in zip(shape.params, segments, strict=True):
        value = decode_segment(raw, param)
        if param.literal is not None and value != param.literal:
            raise InvalidParameters(f"Expected '{param.literal}' in the path, not another segment")
        if param.name == "country_code" and not _CC.fullmatch(value):
            raise InvalidParameters("Path parameter country_code must be 2 letters")
        if param.name == "party_id" and not _PID.fullmatch(value):
            raise InvalidParameters("Path parameter party_id must be 3 letters or digits")
        if param.name == "command" and value not in COMMAND_TYPES:
            raise InvalidParameters("Path parameter command is not a CommandType")
        values.append(value)
    return PathParams(tuple(p.literal or p.name for p in shape.params), tuple(values))


_ALLOWED_QUERY: dict[str, frozenset[str]] = {
    "tokens": _LIST_PARAMS | {"type"},
    "chargingprofiles": frozenset({"duration", "response_url"}),
}


def parse_query(pairs: Sequence[tuple[str, str]], *, module: str, known_module: bool) -> tuple[tuple[str, str], ...]:
    """The checked query parameters, in the order given; unknown or repeated ones are 2001."""
    allowed = _ALLOWED_QUERY.get(module, _LIST_PARAMS)
    seen: set[str] = set()
    checked = []
    for name, value in pairs:
        if name in seen:
            raise InvalidParameters(f"Query parameter {name[:32]} is repeated")
        seen.add(name)
        if known_module and name not in allowed:
            raise InvalidParameters(f"Unknown query parameter {name[:32]}")
        checked.append((_checked_name(name), _checked_value(name, value)))
    return tuple(checked)


def _checked_name(name: str) -> str:
    if not name or len(name) > 64 or not all(c.isascii() and (c.isalnum() or c in "_-.") for c in name):
        raise InvalidParameters("Malformed query parameter name")
    return name


def _checked_value(name: str, value: str) -> str:
    if len(value) > _MAX_VALUE or any(not (0x20 <= ord(c) <= 0x7E) for c in value):
        raise InvalidParameters(f"Query parameter {name} must be printable ASCII of at most {_MAX_VALUE} characters")
    if name in ("date_from", "date_to"):
        parse_datetime(value, name)
    elif name in ("offset", "limit", "duration"):
        if not value.isdigit() or len(value) > 9:
            raise InvalidParameters(f"Query parameter {name} must be a non-negative integer")
    elif name == "type":
        if value.upper() not in _TOKEN_TYPES:
            raise InvalidParameters("Query parameter type is not a TokenType")
    elif name == "response_url" and not value.lower().startswith(("http://", "https://")):
        raise InvalidParameters("Query parameter response_url must be an http(s) URL")
    return value


def _title(name: str) -> str:
    return "OCPI-" + name.removeprefix("ocpi-")


def parse_routing(headers: Mapping[str, str], prefix: str) -> RoutingPair | None:
    """OCPI-{prefix}-country-code / -party-id, or None when both are absent; half a pair is 2001."""
    cc_name, pid_name = f"ocpi-{prefix}-country-code", f"ocpi-{prefix}-party-id"
    cc, pid = headers.get(cc_name), headers.get(pid_name)
    cc = cc.strip(" \t") if cc is not None else None
    pid = pid.strip(" \t") if pid is not None else None
    if not cc and not pid:
        return None
    if not cc or not pid:
        missing = pid_name if cc else cc_name
        raise InvalidParameters(f"Header {_title(missing)} is missing: routing headers come in pairs")
    if not _CC.fullmatch(cc):
        raise InvalidParameters(f"Header OCPI-{prefix}-country-code must be 2 letters")
    if not _PID.fullmatch(pid):
        raise InvalidParameters(f"Header OCPI-{prefix}-party-id must be 3 letters or digits")
    return RoutingPair(cc, pid)
