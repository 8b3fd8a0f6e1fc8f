"""Open Routing lookups (hub.routing.open_routing): which stored owner, or which eMI3 party,
names the receiver of a request without OCPI-to headers. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import OcpiError
from hub.ocpi.request import NO_BODY
from hub.routing.open_routing import Lookup, emi3_party, lookup_for
from hub.types import PartyKey
from tests.factories import trequest

S, R = "sender", "receiver"


def lookup(module: str, interface: str, method: str, rest: str, body: Any = NO_BODY) -> Lookup | None:
    """What Open Routing looks up for a request; None also for a path ingress would refuse."""
    try:
        request = trequest(method, module, interface, rest, to=None, body=body)
    except OcpiError:
        return None
    return lookup_for(request)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (("tokens", S, "POST", "TOK1/authorize"), Lookup(module="tokens", object_id="TOK1")),
        (("locations", S, "GET", "LOC1"), Lookup(module="locations", object_id="LOC1")),
        (("locations", S, "GET", "LOC1/EVSE1/2"), Lookup(module="locations", object_id="LOC1")),
        (("sessions", S, "PUT", "S1/charging_preferences"), Lookup(module="sessions", object_id="S1")),
        (("chargingprofiles", R, "PUT", "S1"), Lookup(module="sessions", object_id="S1")),
        (("chargingprofiles", R, "GET", "S1"), Lookup(module="sessions", object_id="S1")),
        (("chargingprofiles", R, "DELETE", "S1"), Lookup(module="sessions", object_id="S1")),
    ],
)
def test_lookups_by_url(request_: tuple[str, str, str, str], expected: Lookup) -> None:
    assert lookup(*request_) == expected


@pytest.mark.parametrize(
    "request_",
    [
        ("tokens", S, "GET", ""),  # GET All: never open-routed
        ("locations", S, "GET", ""),
        ("tokens", S, "POST", "TOK1"),  # not the authorize path
        ("tokens", R, "POST", "TOK1/authorize"),  # wrong interface
        ("locations", S, "PUT", "LOC1"),
        ("sessions", S, "GET", "S1"),
        ("cdrs", S, "GET", "CDR1"),
    ],
)
def test_no_lookup_without_a_known_pattern(request_: tuple[str, str, str, str]) -> None:
    assert lookup(*request_) is None


def test_commands_use_the_location_or_the_session_in_the_body() -> None:
    start = {"location_id": "LOC1", "evse_uid": "EVSE1", "response_url": "https://x"}
    assert lookup("commands", R, "POST", "START_SESSION", start) == Lookup(module="locations", object_id="LOC1")
    stop = {"session_id": "S1", "response_url": "https://x"}
    assert lookup("commands", R, "POST", "STOP_SESSION", stop) == Lookup(module="sessions", object_id="S1")
    both = {"location_id": "LOC1", "session_id": "S1"}
    assert lookup("commands", R, "POST", "UNLOCK_CONNECTOR", both) == Lookup(module="locations", object_id="LOC1")
    assert lookup("commands", R, "POST", "START_SESSION", {"location_id": 7}) is None
    assert lookup("commands", S, "POST", "START_SESSION/1", start) is None  # a result, not a command


def test_emi3_ids_in_the_body_name_a_party() -> None:
    assert lookup("cdrs", R, "POST", "", {"evse_id": "NL*CPA*E123"}) == Lookup(party=PartyKey.of("NL", "CPA"))
    assert lookup("tokens", R, "PUT", "NL/CPA/x", {"contract_id": "DE-EMS-C12345678-X"}) == Lookup(
        party=PartyKey.of("DE", "EMS")
    )
    assert lookup("cdrs", R, "POST", "", ["evse_id"]) is None


@pytest.mark.parametrize(
    ("value", "party"),
    [
        ("NL*CPA*E123", ("NL", "CPA")),
        ("nl*cpa*e123*1", ("NL", "CPA")),
        ("NLCPA*E123", ("NL", "CPA")),
        ("DE-EMS-C12345678-X", ("DE", "EMS")),
        ("DEEMS-C12345678", ("DE", "EMS")),
        (" FR*A23*E45B*78C ", ("FR", "A23")),
    ],
)
def test_emi3_party(value: str, party: tuple[str, str]) -> None:
    assert emi3_party(value) == PartyKey.of(*party)


@pytest.mark.parametrize("value", [None, 12, "", "N*CPA*E1", "NL*CP*E1", "12*CPA*E1", "NL", "NL*CPA", "DEABC"])
def test_emi3_party_refuses_what_is_not_an_emi3_id(value: Any) -> None:
    assert emi3_party(value) is None


@pytest.mark.parametrize("value", ["nonsense", "Station12"])
def test_emi3_party_refuses_a_word_that_is_no_emi3_id(value: str) -> None:
    assert emi3_party(value) is None


@pytest.mark.parametrize(("value", "party"), [("FRA23E45B78C", ("FR", "A23")), ("NLTNMC00122045K", ("NL", "TNM"))])
def test_emi3_party_without_separators(value: str, party: tuple[str, str]) -> None:
    assert emi3_party(value) == PartyKey.of(*party)
