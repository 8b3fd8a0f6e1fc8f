"""Sender identity on every method (issue 12, "Done when"): a platform may speak only as one of its
own registered parties. A request whose OCPI-from names another party (another platform's, or one
nobody registered) gets 2001 (HTTP 400) naming the OCPI-from header, and nothing is forwarded or
broadcast, whatever the method and module.

The path and body owners of each push name the spoofed party too, so the push is consistent with
its (false) OCPI-from: only the identity check can refuse it, not the ownership check of a push
(which is how the older test in test_receiver_failures.py got its 2001). A GET carries no owner at
all, so a GET with a spoofed FROM is refused by the identity check or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from starlette.applications import Starlette

from tests.fakes.party import FakePlatform
from tests.security.front_door import (
    CPO,
    EMSP,
    HUB,
    METHODS,
    VICTIM,
    Sent,
    body_for,
    envelope_of,
    first_lines,
    open_door,
    run_all,
)

V = "/ocpi/2.2.1"
UNKNOWN = ("FR", "XYZ")

# (sender, receiver party, interface, module, path below the module with {cc}/{pid} = the spoofed owner)
REQUESTS = [
    (CPO, EMSP, "receiver", "locations", "{cc}/{pid}/LOC1"),
    (CPO, EMSP, "receiver", "sessions", "{cc}/{pid}/SES1"),
    (CPO, EMSP, "receiver", "cdrs", ""),
    (CPO, EMSP, "receiver", "tariffs", "{cc}/{pid}/TAR1"),
    (CPO, EMSP, "sender", "tokens", "TOK1/authorize"),
    (CPO, EMSP, "sender", "commands", "START_SESSION/42"),
    (EMSP, CPO, "sender", "locations", "LOC1"),
    (EMSP, CPO, "sender", "tariffs", ""),
    (EMSP, CPO, "receiver", "tokens", "{cc}/{pid}/TOK1"),
    (EMSP, CPO, "receiver", "commands", "START_SESSION"),
    (EMSP, CPO, "receiver", "chargingprofiles", "SES1"),
]

Connect = Callable[..., Awaitable[FakePlatform]]


def _refused(sent: Sent) -> str | None:
    if sent.response is None:
        return f"answer {sent.describe()}: no answer ({sent.error})"
    body = envelope_of(sent.response)
    if body is None or (sent.response.status_code, body["status_code"]) != (400, 2001):
        return f"answer {sent.describe()}: HTTP {sent.response.status_code} {sent.response.text[:160]!r}"
    if "ocpi-from" not in str(body.get("status_message", "")).lower():
        return f"message {sent.describe()}: does not name OCPI-from: {body.get('status_message')!r}"
    return None


@pytest.mark.hub_settings(outbox_max_attempts=1, dispatcher_poll_seconds=0.05)
async def test_spoofed_from_is_2001_on_every_method_and_nothing_is_forwarded(
    connect_fake: Connect, hub_app: Starlette
) -> None:
    async with open_door(connect_fake, hub_app) as door:
        door.cpo.add_object("locations", {"id": "LOC1"})
        jobs = []
        for sender_party, receiver, interface, module, rest in REQUESTS:
            sender = door.fake_of(sender_party)
            for spoofed in (VICTIM, receiver, UNKNOWN):  # another platform's party, the receiver, nobody's
                path = f"{V}/{interface}/{module}" + (f"/{rest}" if rest else "")
                path = path.format(cc=spoofed[0], pid=spoofed[1])
                for method in METHODS:
                    body = body_for(module, spoofed, "X1") if method in ("POST", "PUT", "PATCH") else None
                    for to in (receiver, HUB):
                        label = f"{module} {interface} from {spoofed} to {to}"
                        jobs.append(door.send(sender, method, path, to=to, from_=spoofed, body=body, label=label))
        problems = []
        for sent in await run_all(jobs):
            if (problem := _refused(sent)) is not None:
                problems.append(problem)
            problems += [
                f"forwarded {sent.describe()}: to {fake.parties[0]} as {r.method} {r.path}"
                for fake, r in door.caused_by(sent)
            ]
        if (stuck := await door.drain()) is not None:
            problems.append(f"drain {stuck}")
        problems += [p for p in door.audit(legit={}) if "outside" in p]
    assert not problems, first_lines(problems)


async def test_spoofed_from_on_a_get_is_refused_by_the_identity_check(
    connect_fake: Connect, hub_app: Starlette
) -> None:
    """The minimal case: a GET (no body, no owner in the path) as another platform's party."""
    async with open_door(connect_fake, hub_app) as door:
        door.cpo.add_object("locations", {"id": "LOC1"})
        honest = await door.send(door.emsp, "GET", f"{V}/sender/locations/LOC1", to=CPO, label="honest")
        assert honest.response is not None and (envelope_of(honest.response) or {}).get("status_code") == 1000
        spoofed = await door.send(door.emsp, "GET", f"{V}/sender/locations/LOC1", to=CPO, from_=VICTIM, label="spoof")
        assert _refused(spoofed) is None, _refused(spoofed)
        assert door.caused_by(spoofed) == []
        assert len(door.caused_by(honest)) == 1
