"""hub.validation.mapping and catalogue: which object each routed body and reply must be."""

from __future__ import annotations

import pytest

from hub.types import InterfaceRole
from hub.validation.catalogue import catalogue
from hub.validation.mapping import REPLIES, REQUESTS, names
from hub.validation.objects import EDITION_OBJECTS

R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER


@pytest.mark.parametrize(
    ("module", "interface", "method", "rest", "expected"),
    [
        ("locations", R, "PUT", "NL/CPA/LOC1", "Location"),
        ("locations", R, "PUT", "NL/CPA/LOC1/", "Location"),  # a trailing slash is no extra segment
        ("locations", R, "PUT", "NL/CPA/LOC1/EVSE1", "EVSE"),
        ("locations", R, "PUT", "NL/CPA/LOC1/EVSE1/1", "Connector"),
        ("locations", R, "PATCH", "NL/CPA/LOC1/EVSE1", "EVSEPatch"),
        ("locations", R, "PUT", "NL/CPA", None),
        ("locations", R, "PUT", "NL/CPA/LOC1/EVSE1/1/extra", None),
        ("locations", R, "POST", "NL/CPA/LOC1", None),
        ("sessions", R, "PUT", "NL/CPA/S1", "Session"),
        ("sessions", R, "PATCH", "NL/CPA/S1", "SessionPatch"),
        ("sessions", S, "PUT", "S1/charging_preferences", "ChargingPreferences"),
        ("sessions", S, "PUT", "S1/other", None),
        ("cdrs", R, "POST", "", "CDR"),
        ("tariffs", R, "PUT", "NL/CPA/T1", "Tariff"),
        ("tariffs", R, "PATCH", "NL/CPA/T1", None),  # no PATCH for tariffs in 2.2.1
        ("tokens", R, "PUT", "DE/EMS/U1", "Token"),
        ("tokens", R, "PATCH", "DE/EMS/U1", "TokenPatch"),
        ("tokens", S, "POST", "U1/authorize", "LocationReferences"),
        ("commands", R, "POST", "START_SESSION", "StartSession"),
        ("commands", R, "POST", "RESERVE_NOW", "ReserveNow"),
        ("commands", R, "POST", "UNKNOWN", None),
        ("commands", S, "POST", "any/callback/path", "CommandResult"),
        ("chargingprofiles", R, "PUT", "S1", "SetChargingProfile"),
        ("chargingprofiles", S, "POST", "cb/1", "ChargingProfileResult"),
        ("chargingprofiles", S, "PUT", "S1", "ActiveChargingProfile"),
        ("hubclientinfo", R, "PUT", "NL/CPA", "ClientInfo"),
        ("x-custom", R, "PUT", "a/b/c", None),
    ],
)
def test_request_objects(module: str, interface: InterfaceRole, method: str, rest: str, expected: str | None) -> None:
    target = catalogue().request("2.2.1", module, interface, method, rest)
    assert (target.name if target else None) == expected


@pytest.mark.parametrize(
    ("module", "interface", "method", "rest", "expected"),
    [
        ("locations", S, "GET", "", "LocationListResponse"),
        ("locations", S, "GET", "LOC1", "LocationResponse"),
        ("locations", S, "GET", "LOC1/EVSE1/1", "ConnectorResponse"),
        ("locations", R, "GET", "NL/CPA/LOC1/EVSE1", "EVSEResponse"),
        ("sessions", S, "GET", "", "SessionListResponse"),
        ("sessions", S, "PUT", "S1/charging_preferences", "ChargingPreferencesResponseResponse"),
        ("cdrs", S, "GET", "", "CDRListResponse"),
        ("cdrs", R, "GET", "whatever/the/location/header/said", "CDRResponse"),
        ("tokens", S, "POST", "U1/authorize", "AuthorizationInfoResponse"),
        ("commands", R, "POST", "STOP_SESSION", "CommandResponseResponse"),
        ("chargingprofiles", R, "DELETE", "S1", "ChargingProfileResponseResponse"),
        ("hubclientinfo", S, "GET", "", "ClientInfoListResponse"),
        ("locations", R, "PUT", "NL/CPA/LOC1", None),
    ],
)
def test_reply_objects(module: str, interface: InterfaceRole, method: str, rest: str, expected: str | None) -> None:
    target = catalogue().reply("2.2.1", module, interface, method, rest)
    assert (target.root.__name__ if target else None) == expected


def test_every_mapped_name_exists_in_an_edition() -> None:
    mapped = {name for name, _ in names(REQUESTS) | names(REPLIES)}
    known = set().union(*(objects.keys() for objects in EDITION_OBJECTS.values()))
    assert mapped <= known
    assert mapped - set(EDITION_OBJECTS["2.2.1"]) == {"TariffPatch"}  # 2.1.1 only


def test_editions_without_an_object_leave_its_rules_out() -> None:
    assert catalogue().request("2.1.1", "chargingprofiles", R, "PUT", "S1") is None
    assert catalogue().request("2.1.1", "commands", R, "POST", "CANCEL_RESERVATION") is None
    assert catalogue().request("2.1.1", "tariffs", R, "PATCH", "NL/CPA/T1") is not None
