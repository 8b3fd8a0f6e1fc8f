"""Dot segments, encoded separators, control characters and overlong ids in the path of a routed or
broadcast request (issue 12, attack classes 1 and 2), tried at the hub's front door on a real
loopback socket by a connected party, against connected fake parties.

For every functional module, both interfaces, every method, routed (OCPI-to = the other party) and
broadcast (OCPI-to = the hub), each path encoding of the table below must be answered with the
OCPI envelope 2001 and HTTP 400, with a status message that names a parameter; and whatever the
answer, no fake may receive a request outside the endpoints it registered, with a dot segment
once decoded, or carrying an object of an owner other than the sender; nothing may be stored.

Choices where the issue is silent:
- The path is parsed before anything else is decided, so a bad segment is 2001 whatever the
  method, even one the module does not define for that URL (a DELETE of a Location).
- Bodies of pushes name the victim DE*BBB as owner: an attack that got through would show up as
  a foreign object at a fake, not only as a strange path.
- "Too long" rows exist where the spec fixes the field: country_code 2, party_id 3, and CiString(36)
  ids of Locations (also evse_uid, connector_id), Sessions, Tariffs, Tokens, and the session_id of
  ChargingProfiles; CDR and Commands SENDER URLs are the receiver's own (Location, response_url).
- A baseline request per module and interface, valid by the spec, must be forwarded where it
  belongs, so a hub refusing everything (or a test that sends nonsense) cannot pass.
- The rows run eight at a time; each request's X-Correlation-ID ties what a fake received to it.
- The whole table runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.fakes.party import FakePlatform
from tests.security.front_door import (
    CPO,
    EMSP,
    FUNCTIONAL,
    HUB,
    METHODS,
    VICTIM,
    Door,
    Sent,
    body_for,
    envelope_of,
    first_lines,
    open_door,
    run_all,
)

pytestmark = pytest.mark.hub_settings(outbox_max_attempts=1, outbox_backoff_seconds=0.05, dispatcher_poll_seconds=0.05)

V = "/ocpi/2.2.1"
L37 = "L" * 37  # one more than CiString(36)

# the encodings of a dot-dot segment; each must be refused wherever it stands
DOT_DOTS = ["..", "%2e%2e", "%2E%2e", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae"]
DOTS = [".", "%2e", "%c0%ae"]
SEPARATORS = ["%2f", "%2F", "%5c", "%5C", "%c0%af"]
CONTROLS = ["%00", "%01", "%0a", "%1f", "%7f", "%c2%85"]  # NUL, C0 controls, DEL, a C1 control (U+0085)
# what a status message may call the offending part of the path
PARAMETER_WORDS = (
    "path",
    "segment",
    "country_code",
    "party_id",
    "location_id",
    "evse_uid",
    "connector_id",
    "session_id",
    "tariff_id",
    "token_uid",
    "cdr_id",
    "command",
    "uid",
    "id",
)


@dataclass(frozen=True)
class Grammar:
    """One module interface: who serves it, who sends to it, a valid object path below the module
    for the sender (`own`), how a climb out of it reads (`{d}` = one dot-dot segment), and the
    overlong rows as (rest, parameter named in the answer)."""

    module: str
    interface: str  # "sender" | "receiver"
    receiver: tuple[str, str]
    own: str
    climb: str
    too_long: tuple[tuple[str, str], ...] = ()
    baseline: str = "GET"  # a method the spec defines at `own`


def _owned(cc_pid: tuple[str, str], object_id: str) -> str:
    return f"{cc_pid[0]}/{cc_pid[1]}/{object_id}"


def _owner_climb(owner: tuple[str, str], object_id: str) -> str:
    """`NL/AAA/x/../../../DE/BBB/LOC1`: starts as the sender's object, ends as the victim's."""
    return f"{owner[0]}/{owner[1]}/x/{{d}}/{{d}}/{{d}}/{VICTIM[0]}/{VICTIM[1]}/{object_id}"


CREDENTIALS_CLIMB = "{d}/{d}/credentials"  # from `.../{interface}/{module}/` up to `/ocpi/2.2.1/credentials`

GRAMMARS = [
    Grammar(
        "locations",
        "receiver",
        EMSP,
        _owned(CPO, "LOC1"),
        _owner_climb(CPO, "LOC1"),
        (
            (f"NL/AAA/{L37}", "location_id"),
            ("NL/AAAA/LOC1", "party_id"),
            ("NLD/AAA/LOC1", "country_code"),
            (f"NL/AAA/LOC1/{L37}", "evse_uid"),
            (f"NL/AAA/LOC1/EVSE1/{L37}", "connector_id"),
        ),
        "PUT",
    ),
    Grammar("locations", "sender", CPO, "LOC1", CREDENTIALS_CLIMB, ((L37, "location_id"), (f"LOC1/{L37}", "evse_uid"))),
    Grammar(
        "sessions",
        "receiver",
        EMSP,
        _owned(CPO, "SES1"),
        _owner_climb(CPO, "SES1"),
        ((f"NL/AAA/{L37}", "session_id"), ("NL/AAAA/SES1", "party_id")),
        "PUT",
    ),
    Grammar(
        "sessions",
        "sender",
        CPO,
        "SES1/charging_preferences",
        CREDENTIALS_CLIMB,
        ((f"{L37}/charging_preferences", "session_id"),),
        "PUT",
    ),
    Grammar("cdrs", "receiver", EMSP, _owned(CPO, "CDR1"), CREDENTIALS_CLIMB),
    Grammar("cdrs", "sender", CPO, "CDR1", CREDENTIALS_CLIMB),
    Grammar(
        "tariffs",
        "receiver",
        EMSP,
        _owned(CPO, "TAR1"),
        _owner_climb(CPO, "TAR1"),
        ((f"NL/AAA/{L37}", "tariff_id"), ("NL/AAAA/TAR1", "party_id")),
        "PUT",
    ),
    Grammar("tariffs", "sender", CPO, "TAR1", CREDENTIALS_CLIMB),
    Grammar(
        "tokens",
        "receiver",
        CPO,
        _owned(EMSP, "TOK1"),
        _owner_climb(EMSP, "TOK1"),
        ((f"BE/EMS/{L37}", "token_uid"), ("BE/EMSS/TOK1", "party_id")),
        "PUT",
    ),
    Grammar(
        "tokens", "sender", EMSP, "TOK1/authorize", CREDENTIALS_CLIMB, ((f"{L37}/authorize", "token_uid"),), "POST"
    ),
    Grammar("commands", "receiver", CPO, "START_SESSION", CREDENTIALS_CLIMB, (), "POST"),
    Grammar("commands", "sender", EMSP, "START_SESSION/42", CREDENTIALS_CLIMB, (), "POST"),
    Grammar("chargingprofiles", "receiver", CPO, "SES1", CREDENTIALS_CLIMB, ((L37, "session_id"),), "PUT"),
    Grammar("chargingprofiles", "sender", EMSP, "SES1", CREDENTIALS_CLIMB, (), "POST"),
]


def _insert_before_last(rest: str, segment: str) -> str:
    head, _, last = rest.rpartition("/")
    return f"{head}/{segment}/{last}" if head else f"{segment}/{last}"


def attack_rows(grammar: Grammar) -> list[tuple[str, str]]:
    """(label, path remainder after the module) of every encoding, for this module interface."""
    own, climb = grammar.own, grammar.climb
    rows = [(f"dotdot {d}", climb.replace("{d}", d)) for d in DOT_DOTS]
    if climb != CREDENTIALS_CLIMB:  # also the plain climb to the hub's own credentials
        rows.append(("dotdot .. to credentials", CREDENTIALS_CLIMB.replace("{d}", "..")))
    rows += [(f"dot {d}", _insert_before_last(own, d)) for d in DOTS]
    for s in SEPARATORS:  # the climb as one segment, joined by an encoded separator
        rows.append((f"separator {s}", climb.replace("{d}/", "..{s}").replace("/{d}", "{s}..").replace("{s}", s)))
    rows += [(f"separator {s} in an id", f"{own}{s}x") for s in ("%2f", "%5C")]
    rows += [(f"control {c}", f"{own}{c}") for c in CONTROLS]
    rows.append(("control %00 inside", _insert_before_last(own, "A%00B")))
    rows += [("empty segment //", _insert_before_last(own, "")), ("leading //", f"/{own}")]
    rows += [("trailing /..", f"{own}/.."), ("trailing /%2e%2e", f"{own}/%2e%2e")]
    rows += [(f"too long {name}", rest) for rest, name in grammar.too_long]
    return rows


def _baseline_body(grammar: Grammar, party: tuple[str, str]) -> dict[str, Any] | None:
    if grammar.module in ("commands", "chargingprofiles") and grammar.baseline != "GET":
        return body_for(grammar.module, party)
    if grammar.module == "sessions" and grammar.interface == "sender":
        return {"profile_type": "REGULAR"}
    if grammar.baseline == "PUT":
        return body_for(grammar.module, party, grammar.own.rsplit("/", 1)[-1])
    return None


def _sender_of(door: Door, grammar: Grammar) -> tuple[FakePlatform, tuple[str, str]]:
    party = CPO if grammar.receiver != CPO else EMSP
    return door.fake_of(party), party


def check_refused(sent: Sent, expected_word: str | None) -> str | None:
    """None when the answer is the OCPI envelope 2001 with HTTP 400 naming a parameter."""
    if sent.response is None:
        return f"answer {sent.describe()}: no answer ({sent.error})"
    body = envelope_of(sent.response)
    if body is None:
        return (
            f"{sent.describe()}: HTTP {sent.response.status_code}, not an OCPI envelope: {sent.response.text[:120]!r}"
        )
    code, message = body["status_code"], str(body.get("status_message") or "")
    if (sent.response.status_code, code) != (400, 2001):
        return f"answer {sent.describe()}: HTTP {sent.response.status_code} status_code {code} {message[:100]!r}"
    words = (expected_word,) if expected_word else PARAMETER_WORDS
    if not any(w in message.lower() for w in words):
        return f"message {sent.describe()}: 2001 whose message names no parameter ({' / '.join(words)}): {message!r}"
    return None


async def run_table(door: Door, module: str) -> list[str]:
    """Every row of `module` (both interfaces, every method, routed and broadcast); the problems."""
    problems: list[str] = []
    jobs: list[Awaitable[Sent]] = []
    expected: dict[str, str | None] = {}
    baselines: list[tuple[Sent, FakePlatform, str]] = []
    for grammar in (g for g in GRAMMARS if g.module == module):
        sender, party = _sender_of(door, grammar)
        base = f"{V}/{grammar.interface}/{module}"
        # the baseline: a spec-valid request with the sender's own object, routed
        own_body = _baseline_body(grammar, party)
        baseline = await door.send(
            sender,
            grammar.baseline,
            f"{base}/{grammar.own}",
            to=grammar.receiver,
            body=own_body,
            label=f"baseline {module} {grammar.interface}",
        )
        baselines.append((baseline, door.fake_of(grammar.receiver), f"{base}/{grammar.own}"))
        victim_body = body_for(module, VICTIM, "LOC1")
        for label, rest in attack_rows(grammar):
            word = label.removeprefix("too long ") if label.startswith("too long ") else None
            for method in METHODS:
                for target_name, to in (("routed", grammar.receiver), ("broadcast", HUB)):
                    full = f"{module} {grammar.interface} {target_name} {label}"
                    body = victim_body if method in ("POST", "PUT", "PATCH") else None
                    jobs.append(door.send(sender, method, f"{base}/{rest}", to=to, body=body, label=full))
                    expected[full] = word
    for sent in await run_all(jobs):
        if (problem := check_refused(sent, expected[sent.label])) is not None:
            problems.append(problem)
        problems += [
            f"forwarded {sent.describe()}: to {fake.parties[0]} as {r.method} {r.raw_path}"
            for fake, r in door.caused_by(sent)
        ]
    for sent, receiver, path in baselines:
        arrived = [r for fake, r in door.caused_by(sent) if fake is receiver]
        if [(r.method, r.path) for r in arrived] != [(sent.method, path)]:
            answer = sent.response.text[:200] if sent.response else sent.error
            problems.append(f"baseline {sent.describe()}: a valid request was not forwarded as sent: {answer}")
    if (stuck := await door.drain()) is not None:
        problems.append(f"drain {stuck}")
    problems += door.audit()
    # the baselines store their own object (the receiver accepted it); anything else is a leak
    own = {tuple(g.own.split("/")[:3]) for g in GRAMMARS if g.module == module and g.own.count("/") >= 2}
    for stored_module in ("locations", "tariffs", "tokens"):
        leaked = [
            o for o in await door.stored(stored_module) if not str(o[2]).startswith("CANARY") and tuple(o) not in own
        ]
        problems += [f"stored {stored_module} {o}" for o in leaked]
    return problems


@pytest.mark.parametrize("module", FUNCTIONAL)
async def test_path_encodings_are_refused_and_nothing_leaves_the_endpoints(
    module: str, connect_fake: Callable[..., Awaitable[FakePlatform]], hub_app: Starlette
) -> None:
    async with open_door(connect_fake, hub_app) as door:
        problems = await run_table(door, module)
    assert not problems, first_lines(problems)


# --- the exact attacks of issue 12 ------------------------------------------------------------


async def test_issue_12_credentials_climbs_are_refused(
    connect_fake: Callable[..., Awaitable[FakePlatform]], hub_app: Starlette
) -> None:
    async with open_door(connect_fake, hub_app) as door:
        cpo, emsp = door.cpo, door.emsp
        hub_token_at_cpo = str(cpo.inbound_token)
        read = await door.send(emsp, "GET", f"{V}/sender/locations/../../credentials", to=CPO, label="GET climb")
        post = await door.send(
            emsp,
            "POST",
            f"{V}/receiver/commands/../../credentials",
            to=CPO,
            body={"token": "mine", "url": "http://127.0.0.1:9/ocpi/versions", "roles": []},
            label="POST climb",
        )
        delete = await door.send(emsp, "DELETE", f"{V}/receiver/commands/../../credentials", to=CPO, label="DELETE")
        for sent in (read, post, delete):
            assert check_refused(sent, None) is None, check_refused(sent, None)
            assert sent.response is not None and hub_token_at_cpo not in sent.response.text
            assert door.caused_by(sent) == [], door.caused_by(sent)
        assert not [r for r in cpo.requests if r.path.endswith("/credentials")]
        assert cpo.direction == "sender" and cpo.inbound_token == hub_token_at_cpo  # the hub is still registered there
        assert door.audit() == []


async def test_issue_12_pushes_as_another_party_are_refused(
    connect_fake: Callable[..., Awaitable[FakePlatform]], hub_app: Starlette
) -> None:
    async with open_door(connect_fake, hub_app) as door:
        cpo, emsp = door.cpo, door.emsp
        attacks: list[Sent] = []
        for module, object_id in (("locations", "LOC1"), ("sessions", "SES1")):
            path = f"{V}/receiver/{module}/NL/AAA/x/../../../DE/BBB/{object_id}"
            body: dict[str, Any] = body_for(module, VICTIM, object_id)
            for to in (EMSP, HUB):
                attacks.append(await door.send(cpo, "PUT", path, to=to, body=body, label=f"{module} to {to}"))
        cdr = body_for("cdrs", VICTIM, "CDR1")
        attacks.append(await door.send(cpo, "POST", f"{V}/receiver/cdrs", to=EMSP, body=cdr, label="CDR as DE*BBB"))
        for sent in attacks:
            problem = check_refused(sent, None)
            assert problem is None, problem
            assert door.caused_by(sent) == [], door.caused_by(sent)
        assert await door.drain() is None
        assert door.audit() == []
        pushed = {m: objects for m, objects in emsp.store.items() if m != "hubclientinfo"}  # ClientInfo is the hub's
        assert not any(key[:2] == VICTIM for objects in pushed.values() for key in objects), pushed
        assert [o for o in await door.stored("locations") if o[:2] == VICTIM] == []
