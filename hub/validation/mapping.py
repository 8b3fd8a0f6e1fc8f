"""Which object a routed request body, or a receiver's reply `data`, must be.

Keyed by (module, interface, method); the path after the module URL (`rest`) picks the rule by its
number of segments and, where the spec fixes it, its last segment. A combination not listed here
is not validated. The same table serves every edition; an object an edition lacks
(`hub.validation.objects`) leaves that rule out for it.

Requests (body):

| module           | interface | method | path                             | object                    |
|------------------|-----------|--------|----------------------------------|---------------------------|
| locations        | RECEIVER  | PUT    | /{cc}/{pid}/{id}[/{evse}[/{c}]]  | Location / EVSE / Connector |
| locations        | RECEIVER  | PATCH  | same                             | ...Patch (see base.patch_of) |
| sessions         | RECEIVER  | PUT    | /{cc}/{pid}/{id}                 | Session                   |
| sessions         | RECEIVER  | PATCH  | /{cc}/{pid}/{id}                 | SessionPatch              |
| sessions         | SENDER    | PUT    | /{id}/charging_preferences       | ChargingPreferences       |
| cdrs             | RECEIVER  | POST   | (none)                           | CDR                       |
| tariffs          | RECEIVER  | PUT    | /{cc}/{pid}/{id}                 | Tariff                    |
| tariffs          | RECEIVER  | PATCH  | /{cc}/{pid}/{id}                 | TariffPatch (2.1.1 only)  |
| tokens           | RECEIVER  | PUT    | /{cc}/{pid}/{uid}                | Token                     |
| tokens           | RECEIVER  | PATCH  | /{cc}/{pid}/{uid}                | TokenPatch                |
| tokens           | SENDER    | POST   | /{uid}/authorize                 | LocationReferences        |
| commands         | RECEIVER  | POST   | /{command_type}                  | the command's object      |
| commands         | SENDER    | POST   | any                              | CommandResult             |
| chargingprofiles | RECEIVER  | PUT    | /{session_id}                    | SetChargingProfile        |
| chargingprofiles | SENDER    | POST   | any                              | one of the three results  |
| chargingprofiles | SENDER    | PUT    | /{session_id}                    | ActiveChargingProfile     |
| hubclientinfo    | RECEIVER  | PUT    | /{cc}/{pid}                      | ClientInfo                |

Replies (`data` of a 1xxx reply; `[]` = list, each element checked, its index in the path):

| module           | interface | method | path                             | data                      |
|------------------|-----------|--------|----------------------------------|---------------------------|
| locations        | SENDER    | GET    | (none) / {id}[/{evse}[/{c}]]     | Location[] / Location / EVSE / Connector |
| locations        | RECEIVER  | GET    | /{cc}/{pid}/{id}[/{evse}[/{c}]]  | Location / EVSE / Connector |
| sessions         | SENDER    | GET    | (none)                           | Session[]                 |
| sessions         | SENDER    | PUT    | /{id}/charging_preferences       | ChargingPreferencesResponse |
| sessions         | RECEIVER  | GET    | /{cc}/{pid}/{id}                 | Session                   |
| cdrs             | SENDER    | GET    | (none)                           | CDR[]                     |
| cdrs             | RECEIVER  | GET    | any (the URL from Location)      | CDR                       |
| tariffs          | SENDER    | GET    | (none)                           | Tariff[]                  |
| tariffs          | RECEIVER  | GET    | /{cc}/{pid}/{id}                 | Tariff                    |
| tokens           | SENDER    | GET    | (none)                           | Token[]                   |
| tokens           | SENDER    | POST   | /{uid}/authorize                 | AuthorizationInfo         |
| tokens           | RECEIVER  | GET    | /{cc}/{pid}/{uid}                | Token                     |
| commands         | RECEIVER  | POST   | /{command_type}                  | CommandResponse           |
| chargingprofiles | RECEIVER  | GET, PUT, DELETE | /{session_id}          | ChargingProfileResponse   |
| hubclientinfo    | RECEIVER  | GET    | /{cc}/{pid}                      | ClientInfo                |
| hubclientinfo    | SENDER    | GET    | (none)                           | ClientInfo[]              |
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.types import InterfaceRole

__all__ = ["COMMAND", "REPLIES", "REQUESTS", "Rule", "pick"]

COMMAND = "@command"  # the object named by the CommandType in the URL
_COMMAND_OBJECTS = {
    "CANCEL_RESERVATION": "CancelReservation",
    "RESERVE_NOW": "ReserveNow",
    "START_SESSION": "StartSession",
    "STOP_SESSION": "StopSession",
    "UNLOCK_CONNECTOR": "UnlockConnector",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """`name` applies when the path has `depth` segments (any number when None) ending in `last`."""

    name: str
    depth: int | None
    last: str | None = None
    many: bool = False

    def matches(self, segments: list[str]) -> bool:
        if self.depth is not None and len(segments) != self.depth:
            return False
        return self.last is None or (bool(segments) and segments[-1].lower() == self.last)


Key = tuple[str, InterfaceRole, str]
R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER


def _objects(*names: str, first: int = 3) -> tuple[Rule, ...]:
    """Client Owned Object paths: `names[i]` at depth `first + i`."""
    return tuple(Rule(name, first + i) for i, name in enumerate(names))


REQUESTS: dict[Key, tuple[Rule, ...]] = {
    ("locations", R, "PUT"): _objects("Location", "EVSE", "Connector"),
    ("locations", R, "PATCH"): _objects("LocationPatch", "EVSEPatch", "ConnectorPatch"),
    ("sessions", R, "PUT"): _objects("Session"),
    ("sessions", R, "PATCH"): _objects("SessionPatch"),
    ("sessions", S, "PUT"): (Rule("ChargingPreferences", 2, "charging_preferences"),),
    ("cdrs", R, "POST"): (Rule("CDR", 0),),
    ("tariffs", R, "PUT"): _objects("Tariff"),
    ("tariffs", R, "PATCH"): _objects("TariffPatch"),
    ("tokens", R, "PUT"): _objects("Token"),
    ("tokens", R, "PATCH"): _objects("TokenPatch"),
    ("tokens", S, "POST"): (Rule("LocationReferences", 2, "authorize"),),
    ("commands", R, "POST"): (Rule(COMMAND, 1),),
    ("commands", S, "POST"): (Rule("CommandResult", None),),
    ("chargingprofiles", R, "PUT"): (Rule("SetChargingProfile", 1),),
    ("chargingprofiles", S, "POST"): (Rule("ChargingProfileResult", None),),
    ("chargingprofiles", S, "PUT"): (Rule("ActiveChargingProfile", 1),),
    ("hubclientinfo", R, "PUT"): (Rule("ClientInfo", 2),),
}

REPLIES: dict[Key, tuple[Rule, ...]] = {
    ("locations", S, "GET"): (Rule("Location", 0, many=True), *_objects("Location", "EVSE", "Connector", first=1)),
    ("locations", R, "GET"): _objects("Location", "EVSE", "Connector"),
    ("sessions", S, "GET"): (Rule("Session", 0, many=True),),
    ("sessions", S, "PUT"): (Rule("ChargingPreferencesResponse", 2, "charging_preferences"),),
    ("sessions", R, "GET"): _objects("Session"),
    ("cdrs", S, "GET"): (Rule("CDR", 0, many=True),),
    ("cdrs", R, "GET"): (Rule("CDR", None),),
    ("tariffs", S, "GET"): (Rule("Tariff", 0, many=True),),
    ("tariffs", R, "GET"): _objects("Tariff"),
    ("tokens", S, "GET"): (Rule("Token", 0, many=True),),
    ("tokens", S, "POST"): (Rule("AuthorizationInfo", 2, "authorize"),),
    ("tokens", R, "GET"): _objects("Token"),
    ("commands", R, "POST"): (Rule("CommandResponse", 1),),
    ("chargingprofiles", R, "GET"): (Rule("ChargingProfileResponse", 1),),
    ("chargingprofiles", R, "PUT"): (Rule("ChargingProfileResponse", 1),),
    ("chargingprofiles", R, "DELETE"): (Rule("ChargingProfileResponse", 1),),
    ("hubclientinfo", R, "GET"): (Rule("ClientInfo", 2),),
    ("hubclientinfo", S, "GET"): (Rule("ClientInfo", 0, many=True),),
}


def pick(rules: tuple[Rule, ...], rest: str) -> tuple[str, bool] | None:
    """The object name (and whether a list is expected) for the path `rest`, if a rule applies."""
    segments = [s for s in rest.split("/") if s]
    for rule in rules:
        if rule.matches(segments):
            if rule.name == COMMAND:
                name = _COMMAND_OBJECTS.get(segments[0].upper())
                return (name, False) if name else None
            return rule.name, rule.many
    return None


def names(table: dict[Key, tuple[Rule, ...]]) -> set[tuple[str, bool]]:
    """Every (object name, many) a table can pick: the adapters to build at start-up."""
    found: set[tuple[str, bool]] = set()
    for rules in table.values():
        for rule in rules:
            if rule.name == COMMAND:
                found.update((name, False) for name in _COMMAND_OBJECTS.values())
            else:
                found.add((rule.name, rule.many))
    return found
