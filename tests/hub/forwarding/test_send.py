"""forwarding.send.SendPath: breakers, failover and reachability wrapped once around a transport.
The transport here is a scripted stand-in for the network (the outside world), not hub code."""

from __future__ import annotations

import pytest

from hub.errors import ReceiverTimeout, ReceiverUnreachable
from hub.forwarding.contract import ConnectFailed, OutboundRequest, ReplyTimeout, UpstreamResponse
from hub.forwarding.resilience import BreakerBoard
from hub.forwarding.send import BreakerOpen, SendPath
from tests.factories import tplatform

PRIMARY, ALTERNATE = "http://primary.test", "http://alternate.test"


class Network:
    """Answers by origin: an HTTP status, or a transport error to raise."""

    def __init__(self, **by_origin: int | type[Exception]) -> None:
        self.by_origin = {f"http://{k}.test": v for k, v in by_origin.items()}
        self.sent: list[str] = []

    async def send(self, request: OutboundRequest) -> UpstreamResponse:
        self.sent.append(request.url)
        outcome = self.by_origin[request.url.split("/ocpi")[0]]
        if isinstance(outcome, int):
            return UpstreamResponse(outcome, {}, b'{"status_code": 1000}', 1.0)
        raise outcome("scripted")

    async def aclose(self) -> None:
        return None


class Reach:
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def unreachable(self, platform_id: int) -> None:
        self.events.append(("unreachable", platform_id))

    def reached(self, platform_id: int) -> None:
        self.events.append(("reached", platform_id))


def request(method: str = "GET") -> OutboundRequest:
    return OutboundRequest(method, f"{PRIMARY}/ocpi/2.2.1/locations", {}, None, 5.0)


def path(network: Network, board: BreakerBoard | None = None) -> tuple[SendPath, Reach]:
    reach = Reach()
    board = board or BreakerBoard(fail_max=1, reset_timeout=60.0)
    return SendPath(adapter=network, breakers=board, reachability=reach), reach


PLATFORM = tplatform(alternates=(ALTERNATE,))


async def test_a_get_fails_over_from_a_5xx_and_the_alternate_answers() -> None:
    network = Network(primary=500, alternate=200)
    send, reach = path(network)
    reply = await send.send(request(), platform=PLATFORM, receiver="NL*CPA")
    assert reply.status == 200 and len(network.sent) == 2
    assert reach.events == [("reached", 7), ("reached", 7)]


async def test_a_5xx_is_returned_when_no_alternate_does_better() -> None:
    board = BreakerBoard(fail_max=1, reset_timeout=60.0)
    board.get(ALTERNATE).record(board.get(ALTERNATE).acquire() or pytest.fail("closed"), False)  # open it
    network = Network(primary=503, alternate=200)
    send, _ = path(network, board)
    reply = await send.send(request(), platform=PLATFORM, receiver="NL*CPA")
    assert reply.status == 503 and network.sent == [f"{PRIMARY}/ocpi/2.2.1/locations"]


async def test_a_post_fails_over_only_when_nothing_was_sent() -> None:
    refused = Network(primary=ConnectFailed, alternate=200)
    send, _ = path(refused)
    assert (await send.send(request("POST"), platform=PLATFORM, receiver="NL*CPA")).status == 200
    timed_out = Network(primary=ReplyTimeout, alternate=200)
    send, reach = path(timed_out)
    with pytest.raises(ReceiverTimeout):
        await send.send(request("POST"), platform=PLATFORM, receiver="NL*CPA")
    assert len(timed_out.sent) == 1 and reach.events == []  # sent, maybe processed: neither verdict


async def test_every_route_unreachable_or_open_is_4003_and_reported() -> None:
    network = Network(primary=ConnectFailed, alternate=ConnectFailed)
    send, reach = path(network)
    with pytest.raises(ReceiverUnreachable) as first:
        await send.send(request(), platform=PLATFORM, receiver="NL*CPA")
    assert not isinstance(first.value, BreakerOpen) and first.value.status_code == 4003
    with pytest.raises(BreakerOpen):  # both breakers opened (fail_max=1): nobody is contacted
        await send.send(request(), platform=PLATFORM, receiver="NL*CPA")
    assert len(network.sent) == 2
    assert reach.events == [("unreachable", 7), ("unreachable", 7)]
