"""routing.decide: the routing decision as a value, table-tested without HTTP."""

from __future__ import annotations

import pytest

from hub.errors import ReceiverUnreachable, UnknownReceiver
from hub.routing.decide import Forward, Reject, RoutedRequest, decide, join_url
from hub.routing.table import PlatformRoute, RouteEntry
from hub.types import ConnectionStatus, InterfaceRole, PartyKey, Role, TokenEncoding

CPO = PartyKey.of("NL", "CPA")
EMSP = PartyKey.of("DE", "EMS")


def tplatform(
    *,
    status: ConnectionStatus = ConnectionStatus.CONNECTED,
    token: str | None = "t",
    endpoints: dict[tuple[str, str], str] | None = None,
) -> PlatformRoute:
    return PlatformRoute(
        platform_id=7,
        name="cpo",
        status=status,
        version="2.2.1",
        endpoints=endpoints
        if endpoints is not None
        else {("locations", "SENDER"): "https://cpo.example/ocpi/2.2.1/locations/"},
        token=token,
        encoding=TokenEncoding.BASE64,
        timeout_seconds=None,
    )


def trequest(
    *, module: str = "locations", interface: InterfaceRole = InterfaceRole.SENDER, rest: str = "", query: str = ""
) -> RoutedRequest:
    return RoutedRequest(method="GET", module=module, interface=interface, rest=rest, query=query, to=CPO, from_=EMSP)


def test_forward_keeps_path_remainder_and_query() -> None:
    decision = decide(trequest(rest="LOC1/EVSE1", query="a=1&b=2"), [RouteEntry(CPO, Role.CPO, tplatform())])
    assert isinstance(decision, Forward)
    assert decision.url == "https://cpo.example/ocpi/2.2.1/locations/LOC1/EVSE1?a=1&b=2"
    assert decision.target.platform.platform_id == 7


def test_unknown_party_is_4001() -> None:
    decision = decide(trequest(), [])
    assert isinstance(decision, Reject)
    assert isinstance(decision.error, UnknownReceiver)
    assert decision.error.status_code == 4001


@pytest.mark.parametrize(
    ("module", "interface"),
    [("cdrs", InterfaceRole.SENDER), ("locations", InterfaceRole.RECEIVER), ("nltnm-custom", InterfaceRole.SENDER)],
)
def test_receiver_without_module_or_interface_is_4001(module: str, interface: InterfaceRole) -> None:
    decision = decide(trequest(module=module, interface=interface), [RouteEntry(CPO, Role.CPO, tplatform())])
    assert isinstance(decision, Reject)
    assert decision.error.status_code == 4001
    assert module in decision.error.message


@pytest.mark.parametrize("status", [ConnectionStatus.OFFLINE, ConnectionStatus.PLANNED, ConnectionStatus.SUSPENDED])
def test_receiver_not_connected_is_4003(status: ConnectionStatus) -> None:
    decision = decide(trequest(), [RouteEntry(CPO, Role.CPO, tplatform(status=status))])
    assert isinstance(decision, Reject)
    assert isinstance(decision.error, ReceiverUnreachable)
    assert status.value in decision.error.message


def test_receiver_without_token_is_4003() -> None:
    decision = decide(trequest(), [RouteEntry(CPO, Role.CPO, tplatform(token=None))])
    assert isinstance(decision, Reject)
    assert decision.error.status_code == 4003


def test_the_role_that_implements_the_interface_is_chosen() -> None:
    """A party key with two roles (CPO and eMSP of one company): the entry whose platform
    offers the module and interface receives."""
    emsp_side = tplatform(endpoints={("tokens", "SENDER"): "https://x/tokens"})
    cpo_side = tplatform(endpoints={("tokens", "RECEIVER"): "https://x/cpo/tokens"})
    entries = [RouteEntry(CPO, Role.EMSP, emsp_side), RouteEntry(CPO, Role.CPO, cpo_side)]
    decision = decide(trequest(module="tokens", interface=InterfaceRole.RECEIVER, rest="NL/CPA/T1"), entries)
    assert isinstance(decision, Forward)
    assert decision.url == "https://x/cpo/tokens/NL/CPA/T1"


@pytest.mark.parametrize(
    ("base", "rest", "query", "expected"),
    [
        ("https://a/x", "", "", "https://a/x"),
        ("https://a/x/", "", "", "https://a/x"),
        ("https://a/x/", "/1/2", "", "https://a/x/1/2"),
        ("https://a/x", "1", "limit=5", "https://a/x/1?limit=5"),
    ],
)
def test_join_url(base: str, rest: str, query: str, expected: str) -> None:
    assert join_url(base, rest, query) == expected
