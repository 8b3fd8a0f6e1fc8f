"""routing.decide: the decision as a value, table-tested without HTTP (sender identity and
ownership included: they are checked there and nowhere else)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import InvalidParameters, NotFound, ReceiverUnreachable, UnknownReceiver
from hub.routing.agreements import AgreementPolicy, Rule
from hub.routing.decide import AnswerFromStore, Broadcast, Decision, Forward, Reject, RouteView, decide
from hub.routing.table import RouteEntry
from hub.types import ConnectionStatus, PartyKey, Role
from tests.factories import tidentity, trequest, troute

CPO = PartyKey.of("NL", "CPA")
EMSP = PartyKey.of("DE", "EMS")
HUB = PartyKey.of("NL", "HUB")
OPEN = AgreementPolicy((), default_allow=True)
EMSP_ID = tidentity((Role.EMSP, "DE", "EMS"))
CPO_ID = tidentity((Role.CPO, "NL", "CPA"), name="cpo")
CPO_ENDPOINTS = {
    ("locations", "SENDER"): "https://cpo.example/ocpi/2.2.1/locations/",
    ("sessions", "RECEIVER"): "https://emsp.example/sessions",
}


def view(
    entries: list[RouteEntry] | None = None,
    *,
    receiver: PartyKey | None = CPO,
    policy: AgreementPolicy = OPEN,
    open_routed: bool = False,
    sender_modules: frozenset[str] = frozenset(),
) -> RouteView:
    return RouteView(
        hub_party=HUB,
        receiver=receiver,
        open_routed=open_routed,
        entries=tuple(entries if entries is not None else [troute()]),
        policy=policy,
        sender_modules=sender_modules,
    )


def rejected(decision: Decision, status: int) -> str:
    assert isinstance(decision, Reject), decision
    assert decision.error.status_code == status, decision.error.message
    return decision.error.message


def test_forward_names_the_receivers_registered_endpoint_and_both_parties() -> None:
    decision = decide(trequest(rest="LOC1/EVSE1", query=(("limit", "5"),)), EMSP_ID, view())
    assert isinstance(decision, Forward)
    assert decision.endpoint == "https://cpo.example/ocpi/2.2.1/locations/"  # as registered, slash kept
    assert (decision.sender, decision.receiver) == (EMSP, CPO)
    assert decision.route.platform.platform_id == 7


def test_unknown_party_is_4001() -> None:
    assert "Unknown receiver" in rejected(decide(trequest(), EMSP_ID, view([])), 4001)


@pytest.mark.parametrize(
    ("module", "interface", "rest"),
    [("cdrs", "sender", ""), ("locations", "receiver", "NL/CPA/L1"), ("nltnm-custom", "sender", "")],
)
def test_receiver_without_module_or_interface_is_4001(module: str, interface: str, rest: str) -> None:
    request = trequest(module=module, interface=interface, rest=rest, from_=("NL", "CPA"))
    decision = decide(request, CPO_ID, view(sender_modules=frozenset({"nltnm-custom"})))
    assert module in rejected(decision, 4001)


@pytest.mark.parametrize("status", [ConnectionStatus.OFFLINE, ConnectionStatus.PLANNED, ConnectionStatus.SUSPENDED])
def test_receiver_not_connected_is_4003(status: ConnectionStatus) -> None:
    decision = decide(trequest(), EMSP_ID, view([troute(status=status)]))
    assert isinstance(decision, Reject) and isinstance(decision.error, ReceiverUnreachable)
    assert status.value in decision.error.message


def test_receiver_without_token_is_4003() -> None:
    rejected(decide(trequest(), EMSP_ID, view([troute(token=None)])), 4003)


def test_the_role_that_implements_the_interface_is_chosen() -> None:
    """A party key with two roles (CPO and eMSP of one company): the entry whose platform
    offers the module and interface receives."""
    emsp_side = troute(role=Role.EMSP, endpoints={("tokens", "SENDER"): "https://x/tokens"})
    cpo_side = troute(endpoints={("tokens", "RECEIVER"): "https://x/cpo/tokens"})
    request = trequest("GET", "tokens", "receiver", "DE/EMS/T1")
    decision = decide(request, EMSP_ID, view([emsp_side, cpo_side]))
    assert isinstance(decision, Forward)
    assert decision.endpoint == "https://x/cpo/tokens"


def test_no_agreement_is_4001() -> None:
    policy = AgreementPolicy([Rule("*", "*", "locations", False)], default_allow=True)
    assert "agreement" in rejected(decide(trequest(), EMSP_ID, view(policy=policy)), 4001)


# --- sender identity: on every method, not only on pushes --------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_a_from_the_platform_does_not_serve_is_2001_on_every_method(method: str) -> None:
    body: Any = {"last_updated": "2026-01-01T00:00:00Z"} if method in ("PUT", "PATCH", "POST") else None
    request = trequest(method, "sessions", "sender", "S1", from_=("FR", "OTH"), body=body)
    assert "OCPI-from FR*OTH" in rejected(decide(request, EMSP_ID, view()), 2001)


def test_from_is_inferred_only_for_a_platform_with_one_party() -> None:
    assert isinstance(decide(trequest(from_=None), EMSP_ID, view()), Forward)
    two = tidentity((Role.EMSP, "DE", "EMS"), (Role.EMSP, "DE", "EM2"))
    assert "required" in rejected(decide(trequest(from_=None), two, view()), 2001)


# --- ownership of pushed objects ---------------------------------------------------------------


def session(owner: tuple[str, str] = ("NL", "CPA"), sid: str = "S1") -> dict[str, Any]:
    return {"country_code": owner[0], "party_id": owner[1], "id": sid, "last_updated": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("rest", "body", "words"),
    [
        ("DE/BBB/S1", session(), "URL country_code/party_id DE*BBB"),
        ("NL/CPA/S1", session(owner=("DE", "BBB")), "Body country_code"),
        ("NL/CPA/S1", session(sid="S2"), "Body id differs"),
    ],
)
def test_a_push_naming_another_owner_is_2001(rest: str, body: dict[str, Any], words: str) -> None:
    request = trequest("PUT", "sessions", "receiver", rest, to=("DE", "EMS"), from_=("NL", "CPA"), body=body)
    decision = decide(request, CPO_ID, view([troute(("DE", "EMS"), Role.EMSP, endpoints=CPO_ENDPOINTS)]))
    assert words in rejected(decision, 2001)


def test_a_cdr_whose_body_names_another_owner_is_2001() -> None:
    cdr = {"country_code": "DE", "party_id": "BBB", "id": "C1", "last_updated": "2026-01-01T00:00:00Z"}
    request = trequest("POST", "cdrs", "receiver", to=("DE", "EMS"), from_=("NL", "CPA"), body=cdr)
    entries = [troute(("DE", "EMS"), Role.EMSP, endpoints={("cdrs", "RECEIVER"): "https://emsp/cdrs/"})]
    assert "Body country_code differs from the sender" in rejected(decide(request, CPO_ID, view(entries)), 2001)
    ok = trequest("POST", "cdrs", "receiver", to=("DE", "EMS"), from_=("NL", "CPA"), body={**cdr, "party_id": "CPA"})
    assert isinstance(decide(ok, CPO_ID, view(entries)), Reject)  # country_code still DE
    good = {**cdr, "country_code": "NL", "party_id": "CPA"}
    fine = trequest("POST", "cdrs", "receiver", to=("DE", "EMS"), from_=("NL", "CPA"), body=good)
    assert isinstance(decide(fine, CPO_ID, view(entries)), Forward)


def test_patch_without_last_updated_is_2001() -> None:
    request = trequest("PATCH", "sessions", "receiver", "NL/CPA/S1", to=("DE", "EMS"), from_=("NL", "CPA"), body={})
    assert "last_updated" in rejected(decide(request, CPO_ID, view()), 2001)


def test_a_push_without_body_is_2001() -> None:
    request = trequest("PUT", "tariffs", "receiver", "NL/CPA/T1", to=("DE", "EMS"), from_=("NL", "CPA"))
    assert "needs a JSON body" in rejected(decide(request, CPO_ID, view()), 2001)


# --- addressed to the hub ----------------------------------------------------------------------


def test_a_push_to_the_hub_is_a_broadcast_in_the_pushers_role() -> None:
    location = {"country_code": "NL", "party_id": "CPA", "id": "L1", "last_updated": "2026-01-01T00:00:00Z"}
    request = trequest(
        "PUT", "locations", "receiver", "NL/CPA/L1", to=("NL", "HUB"), from_=("NL", "CPA"), body=location
    )
    assert decide(request, CPO_ID, view(receiver=HUB)) == Broadcast(pusher=CPO, role=Role.CPO)


def test_personal_data_is_never_broadcast() -> None:
    request = trequest(
        "PUT", "sessions", "receiver", "NL/CPA/S1", to=("NL", "HUB"), from_=("NL", "CPA"), body=session()
    )
    assert "cannot be broadcast" in rejected(decide(request, CPO_ID, view(receiver=HUB)), 2001)


def test_a_list_get_to_the_hub_is_answered_from_the_store() -> None:
    decision = decide(trequest(to=("NL", "HUB")), EMSP_ID, view(receiver=HUB))
    assert decision == AnswerFromStore(requester=EMSP, roles=frozenset({Role.EMSP}))


def test_a_get_of_one_object_to_the_hub_is_2001() -> None:
    rejected(decide(trequest(rest="L1", to=("NL", "HUB")), EMSP_ID, view(receiver=HUB)), 2001)


def test_a_list_get_without_to_is_never_open_routed() -> None:
    assert "GET All" in rejected(decide(trequest(to=None), EMSP_ID, view(receiver=None, open_routed=True)), 2001)


def test_open_routing_without_an_owner_is_4001() -> None:
    request = trequest(rest="L1", to=None)
    rejected(decide(request, EMSP_ID, view(receiver=None, open_routed=True)), 4001)


def test_a_custom_module_the_sender_does_not_offer_is_404() -> None:
    decision = decide(trequest(module="nltnm-custom"), EMSP_ID, view())
    assert isinstance(decision, Reject) and isinstance(decision.error, NotFound)


def test_errors_are_values_never_raised() -> None:
    for request in (trequest(from_=("XX", "YYY")), trequest(to=None)):
        decision = decide(request, EMSP_ID, view(receiver=None))
        assert isinstance(decision, Reject)
        assert isinstance(decision.error, InvalidParameters | UnknownReceiver)
