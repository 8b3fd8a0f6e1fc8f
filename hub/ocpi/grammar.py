"""The URL grammar of each functional module: which path parameters follow the module's URL, and
how long each may be. Pure data and pure functions, no I/O.

Shapes follow the 2.2.1 module texts (mod_locations, mod_sessions, mod_cdrs, mod_tariffs, mod_tokens,
mod_commands, mod_charging_profiles: "Interfaces" sections) and the CiString limits of the objects
they address (types.asciidoc; e.g. Location.id CiString(36), CDR.id CiString(39)). A path matches a
shape when it has exactly as many segments and every literal segment is equal; `country_code` and
`party_id` must look like the spec's (2 letters, 3 letters or digits).

A module the hub does not know (a custom module both ends advertise) takes up to `CUSTOM_DEPTH`
generic segments of at most `CUSTOM_LENGTH` characters each.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.types import InterfaceRole

__all__ = ["COMMAND_TYPES", "LITERALS", "CUSTOM_DEPTH", "CUSTOM_LENGTH", "Param", "Shape", "known_module", "shapes_for"]

COMMAND_TYPES = frozenset({"CANCEL_RESERVATION", "RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"})
LITERALS = frozenset({"authorize", "charging_preferences"})
CUSTOM_DEPTH = 6
CUSTOM_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Param:
    """One path segment: a named parameter of at most `max_length` characters, or a literal."""

    name: str
    max_length: int = 36
    literal: str | None = None


@dataclass(frozen=True, slots=True)
class Shape:
    params: tuple[Param, ...]

    @property
    def depth(self) -> int:
        return len(self.params)


def _shape(*params: Param | str) -> Shape:
    return Shape(tuple(Param(p, literal=p) if isinstance(p, str) else p for p in params))


_CC = Param("country_code", 2)
_PID = Param("party_id", 3)
_LOC, _EVSE, _CONN = Param("location_id"), Param("evse_uid"), Param("connector_id")
_SES, _TAR, _TOK = Param("session_id"), Param("tariff_id"), Param("token_uid")
_CDR = Param("cdr_id", 39)
_CMD = Param("command", 18)
_UID = Param("uid")
_LIST = _shape()

_SENDER, _RECEIVER = InterfaceRole.SENDER, InterfaceRole.RECEIVER

SHAPES: dict[tuple[str, InterfaceRole], tuple[Shape, ...]] = {
    ("locations", _SENDER): (_LIST, _shape(_LOC), _shape(_LOC, _EVSE), _shape(_LOC, _EVSE, _CONN)),
    ("locations", _RECEIVER): (
        _shape(_CC, _PID, _LOC),
        _shape(_CC, _PID, _LOC, _EVSE),
        _shape(_CC, _PID, _LOC, _EVSE, _CONN),
    ),
    # One object by id on a Sender interface is not in 2.2.1 for sessions, CDRs and tariffs, but
    # common among implementations (and harmless: the id is checked like any other).
    ("sessions", _SENDER): (_LIST, _shape(_SES), _shape(_SES, "charging_preferences")),
    ("sessions", _RECEIVER): (_shape(_CC, _PID, _SES),),
    # The CDR receiver's GET is at the Location it returned; through the hub that is a hub URL.
    ("cdrs", _SENDER): (_LIST, _shape(_CDR)),
    ("cdrs", _RECEIVER): (_LIST, _shape(_CDR), _shape(_CC, _PID, _CDR)),
    ("tariffs", _SENDER): (_LIST, _shape(_TAR)),
    ("tariffs", _RECEIVER): (_shape(_CC, _PID, _TAR),),
    ("tokens", _SENDER): (_LIST, _shape(_TOK, "authorize")),
    ("tokens", _RECEIVER): (_shape(_CC, _PID, _TOK),),
    # Results go to the response_url the eMSP gave: through the hub, a hub URL; a direct path
    # `{command}/{uid}` is the common shape of that URL.
    ("commands", _SENDER): (_shape(_CMD), _shape(_CMD, _UID)),
    ("commands", _RECEIVER): (_shape(_CMD),),
    ("chargingprofiles", _SENDER): (_shape(_SES),),
    ("chargingprofiles", _RECEIVER): (_shape(_SES),),
}

_KNOWN = frozenset(m for m, _ in SHAPES)
_CUSTOM = tuple(_shape(*(Param(f"id{i}", CUSTOM_LENGTH) for i in range(n))) for n in range(CUSTOM_DEPTH + 1))


def shapes_for(module: str, interface: InterfaceRole) -> tuple[Shape, ...]:
    """The shapes a path below the module's URL may take; any depth up to CUSTOM_DEPTH for custom modules."""
    return SHAPES.get((module, interface), _CUSTOM if not known_module(module) else ())


def known_module(module: str) -> bool:
    """A functional module of the spec (others are custom modules)."""
    return module in _KNOWN
