"""`ocpi-hub demo` (`make demo`): watch a charging session cross the hub.

Starts the hub as a child process (a temporary SQLite file, a free loopback port), one
simulated CPO and one simulated eMSP in this process, declares both with the real CLI, lets them
register, and plays the roaming flow: tariffs and locations, the driver's token, a paginated
location pull, real-time authorization, remote start, EVSE status and session updates, remote
stop and the CDR. Each message that crosses the hub is printed as a table row: when it was sent,
who sent it to whom, method and path, HTTP and OCPI status, milliseconds, and what it says.

It ends by itself (everything it started is stopped by PID), or with `keep_running` leaves
the hub and both simulators up until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from simulators.cpo import SimulatedCpo
from simulators.emsp import SimulatedEmsp
from simulators.journal import Exchange, format_exchange, table_header
from simulators.objects import Obj
from simulators.pricing import price_session
from simulators.stack import HubProcess, roles_of

__all__ = ["DemoFailed", "DemoResult", "main", "run_demo"]

PERIOD_MINUTES = 15  # simulated minutes between two meter values


class DemoFailed(Exception):
    """A step of the flow did not happen (the message says which)."""


@dataclass
class DemoResult:
    """What the demo saw, for its test: the CDR as the CPO sent it and as the eMSP received it."""

    cdr_sent: Obj
    cdr_received: Obj
    tariff: Obj
    session: Obj  # the eMSP's copy, after all PUT/PATCHes
    exchanges: list[Exchange] = field(default_factory=list)
    seconds: float = 0.0


class Narrator:
    """Collects the exchanges of both simulators and prints them per step, in the order sent."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.time()
        self.exchanges: list[Exchange] = []
        self._pending: list[Exchange] = []
        self._header_shown = False

    def observe(self, exchange: Exchange) -> None:
        # Routed messages are shown once, as their sender saw them (with the hub's answer);
        # a platform's view of what it received is shown only when the hub itself sent it.
        if exchange.direction == "sent" or exchange.sender.startswith("HUB"):
            self.exchanges.append(exchange)
            self._pending.append(exchange)

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def step(self, title: str, explanation: str) -> None:
        self.flush()
        self.say(f"\n== {title}")
        self.say(textwrap.fill(explanation, width=110, initial_indent="   ", subsequent_indent="   "))

    def flush(self) -> None:
        if self._pending and not self._header_shown:
            self.say("\n" + table_header())
            self._header_shown = True
        for exchange in sorted(self._pending, key=lambda e: e.at):
            self.say(format_exchange(exchange, since=self.started))
        self._pending.clear()


async def _until(predicate: Any, what: str, timeout: float = 10.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise DemoFailed(f"{what} did not happen within {timeout:.0f} s") from None


def _check(reply_ok: bool, what: str, detail: str = "") -> None:
    if not reply_ok:
        raise DemoFailed(f"{what} failed{': ' + detail if detail else ''}")


async def _connect_direct(cpo: SimulatedCpo, emsp: SimulatedEmsp, hub: HubProcess, say: Narrator) -> None:
    say.step(
        "1. The operator declares both platforms",
        "`ocpi-hub platforms add` issues a token A for each; the operator hands it over with the versions URL.",
    )
    added = await asyncio.gather(*(hub.add_platform(p.name, roles_of(p), raw_tokens=p.raw_tokens) for p in (cpo, emsp)))
    for platform, entry in zip((cpo, emsp), added, strict=True):
        roles = " ".join(f"--role {r}" for r in roles_of(platform))
        raw = " --token-encoding raw" if platform.raw_tokens else ""
        say.say(f"   $ ocpi-hub platforms add --name {platform.name} {roles}{raw} --json")
        say.say(f"     -> platform {entry['platform_id']}, token A {entry['token_a'][:6]}..., {entry['versions_url']}")

    say.step(
        "2. Registration (credentials handshake)",
        "Each platform reads the hub's versions with token A and POSTs its credentials (token B); the hub "
        "reads the platform's versions with token B and answers with token C. The hub then PUTs "
        "HubClientInfo: who is connected.",
    )
    await asyncio.gather(
        *(p.register(a["versions_url"], a["token_a"]) for p, a in zip((cpo, emsp), added, strict=True))
    )
    told = [p for p in (cpo, emsp) if p.routing_headers]  # 2.1.1 has no HubClientInfo
    await _until(lambda: all(len(p.client_info) for p in told), "HubClientInfo from the hub", 5)


async def _connect_chain(
    cpo: SimulatedCpo, emsp: SimulatedEmsp, hub_a: HubProcess, hub_b: HubProcess, say: Narrator
) -> None:
    """The CPO on hub A, the eMSP on hub B, and A and B upstreams of each other (profile `spec`)."""
    a_party, b_party = hub_a.party, hub_b.party
    say.step(
        "1. Two hubs, each the other's upstream",
        f"Hub A ({a_party}) serves the CPO, hub B ({b_party}) the eMSP. Each operator declares the other hub "
        "as an upstream (`ocpi-hub upstreams add --kind ocpi --profile spec`); B registers at A with the "
        "token A that A's operator handed over (`ocpi-hub platforms register`).",
    )
    at_a = json.loads(
        await hub_a.cli(
            "upstreams",
            "add",
            "--name",
            "hub-b",
            "--kind",
            "ocpi",
            "--profile",
            "spec",
            "--hub-role",
            f"HUB:{b_party}",
            "--json",
        )
    )
    at_b = json.loads(
        await hub_b.cli(
            "upstreams",
            "add",
            "--name",
            "hub-a",
            "--kind",
            "ocpi",
            "--profile",
            "spec",
            "--hub-role",
            f"HUB:{a_party}",
            "--json",
        )
    )
    say.say(f"   A$ ocpi-hub upstreams add --name hub-b --kind ocpi --profile spec --hub-role HUB:{b_party} --json")
    say.say(f"   B$ ocpi-hub upstreams add --name hub-a --kind ocpi --profile spec --hub-role HUB:{a_party} --json")
    await hub_b.cli(
        "platforms",
        "register",
        str(at_b["platform_id"]),
        "--versions-url",
        hub_a.versions_url,
        "--token-a",
        at_a["token_a"],
    )
    say.say(
        f"   B$ ocpi-hub platforms register {at_b['platform_id']} --versions-url {hub_a.versions_url} --token-a ..."
    )

    say.step(
        "2. Registration, and each hub learns the other's party",
        "The CPO registers with hub A, the eMSP with hub B. Each hub tells the other hub who is connected "
        "(HubClientInfo PUT to the upstream's hubclientinfo RECEIVER); each learns a route to the other's "
        "party through it and announces that party to its own platforms.",
    )
    added_a = await hub_a.add_platform(cpo.name, roles_of(cpo))
    added_b = await hub_b.add_platform(emsp.name, roles_of(emsp))
    await asyncio.gather(
        cpo.register(added_a["versions_url"], added_a["token_a"]),
        emsp.register(added_b["versions_url"], added_b["token_a"]),
    )
    emsp_key, cpo_key = emsp.party.key, cpo.party.key

    def connected(platform: SimulatedCpo | SimulatedEmsp, key: Any) -> bool:
        info = platform.client_info.objects.get((key.country_code, key.party_id))
        return isinstance(info, dict) and info.get("status") == "CONNECTED"

    await _until(
        lambda: connected(cpo, emsp_key) and connected(emsp, cpo_key),
        "Each party announced to the other's hub",
        15,
    )


async def _play(cpo: SimulatedCpo, emsp: SimulatedEmsp, say: Narrator, periods: int) -> DemoResult:
    cpo_key = cpo.party.key
    say.step(
        "3. Location sync",
        "The CPO pushes its tariffs and locations (EVSEs, connectors) to the eMSP through the hub; the eMSP "
        "pushes the driver's token to the CPO and pulls the CPO's locations one page at a time (the hub "
        "replaces each Link with a hub URL).",
    )
    for reply in await cpo.publish_tariffs() + await cpo.publish_locations():
        _check(reply.ok, "A tariff or location PUT", reply.describe())
    driver = emsp.driver_token()
    for reply in await emsp.push_tokens(to=[cpo_key], tokens=[driver]):
        _check(reply.ok, "The token PUT", reply.describe())
    pulled, pages = await emsp.pull(cpo_key, limit=1)
    _check(len(pulled) == len(cpo.locations), "The paginated location pull", f"{len(pulled)} of {len(cpo.locations)}")

    location = next(iter(cpo.locations))
    evse = location["evses"][0]
    say.step(
        "4. Token authorization (real time)",
        f"The driver holds RFID card {driver['uid']} to the reader of EVSE {evse['uid']}; the CPO asks the "
        "eMSP whether it may charge here (tokens SENDER .../authorize, TO = the token's eMSP).",
    )
    authorized = await cpo.authorize(str(driver["uid"]), location_id=location["id"], evse_uids=[evse["uid"]])
    _check(authorized.ok and authorized.data.get("allowed") == "ALLOWED", "Real-time authorization")

    say.step(
        "5. Remote start",
        "The driver taps 'start' in the eMSP's app: START_SESSION to the CPO. The CPO answers at once "
        "(CommandResponse) and POSTs the CommandResult to the response_url, which the hub replaced with a hub URL.",
    )
    started = await emsp.start_session(cpo_key, location_id=location["id"], evse_uid=evse["uid"], token=driver)
    _check(started.accepted and started.result == {"result": "ACCEPTED"}, "START_SESSION", str(started.result))
    await _until(lambda: any(e.path == "(response_url)" for e in cpo.history), "The CPO's CommandResult reply")

    say.step(
        "6. Charging",
        f"The EVSE turns CHARGING, the CPO PUTs the Session and PATCHes it with a charging period every "
        f"{PERIOD_MINUTES} simulated minutes (here {cpo.tick_seconds:g} s each).",
    )
    await _until(lambda: len(emsp.sessions) > 0, "The session PUT at the eMSP")
    session = emsp.sessions.values()[0]
    await _until(lambda: len(session.get("charging_periods") or []) >= periods, f"{periods} charging periods", 20)

    say.step(
        "7. Stop and CDR",
        "The driver stops in the app (STOP_SESSION); the session completes, the EVSE is AVAILABLE again, "
        "and the CPO POSTs the CDR, priced by its tariff, to the eMSP (the hub replaces its Location).",
    )
    stopped = await emsp.stop_session(cpo_key, str(session["id"]))
    _check(stopped.accepted and stopped.result == {"result": "ACCEPTED"}, "STOP_SESSION", str(stopped.result))
    await _until(lambda: len(emsp.cdrs) > 0, "The CDR at the eMSP")
    await _until(lambda: not cpo.active, "The end of the session at the CPO")
    await asyncio.sleep(0.2)  # let the last replies arrive before the table closes
    say.flush()

    received = next(iter(emsp.cdrs.values()))
    sent = cpo.cdrs.get(str(received["id"]))
    if sent is None:
        raise DemoFailed("The CDR the eMSP holds is not one the CPO sent")
    # a 2.1.1 CPO's periods name no tariff: the CDR's tariffs do
    tariff_id = received["charging_periods"][0].get("tariff_id") or next(
        (t.get("id") for t in received.get("tariffs") or []), None
    )
    tariff = cpo.tariffs.get(str(tariff_id))
    if tariff is None:
        raise DemoFailed("The CDR names no tariff of the CPO")
    _summary(say, received, tariff)
    return DemoResult(cdr_sent=sent, cdr_received=received, tariff=tariff, session=session)


def _summary(say: Narrator, cdr: Obj, tariff: Obj) -> None:
    costs = price_session(tariff, energy_kwh=cdr["total_energy"], charging_hours=cdr["total_time"])
    total = cdr["total_cost"]
    parts = {c["type"]: c for e in tariff["elements"] for c in e["price_components"]}
    say.say(f"\n== The CDR {cdr['id']} reached the eMSP")
    say.say(f"   energy {cdr['total_energy']:.2f} kWh, time {cdr['total_time']:.2f} h, tariff {tariff['id']}:")
    say.say(
        f"   {costs.fixed[0]:.4f} start + {cdr['total_energy']:.2f} kWh x {parts['ENERGY']['price']:.2f}"
        + (f" + {cdr['total_time']:.2f} h x {parts['TIME']['price']:.2f}" if "TIME" in parts else "")
        + f" = {total['excl_vat']:.4f} {cdr['currency']} excl. VAT"
        + (f", {total['incl_vat']:.4f} incl. VAT" if "incl_vat" in total else " (the CPO gave no VAT)")
    )
    say.say("   Every message above went through the hub(s): the CPO and the eMSP never called each other.")


async def _wait_for_interrupt(say: Narrator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    say.say("\nStopping.")


async def run_demo(
    *,
    keep_running: bool = False,
    out: TextIO | None = None,
    tick_seconds: float = 0.4,
    periods: int = 3,
    workdir: Path | None = None,
    via_upstream: bool = False,
    cpo_version: str = "2.2.1",
) -> DemoResult:
    """Play the demo (see the module docstring); raises DemoFailed when a step does not happen.
    `via_upstream`: the eMSP is on a second hub, chained to the first as its upstream.
    `cpo_version`: the OCPI version the CPO speaks (2.1.1, 2.2.1, 2.3.0; the eMSP speaks 2.2.1):
    the hub translates every message between them."""
    say = Narrator(out or sys.stdout)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the table
    own_dir = workdir is None
    directory = Path(tempfile.mkdtemp(prefix="ocpi-hub-demo-")) if workdir is None else workdir
    strict = {"HUB_VALIDATION_MODE": "strict"}
    hub = HubProcess(directory, extra_env=strict)
    hub_b = (
        HubProcess(directory / "hub-b", extra_env=strict, country_code="DE", party_id="HBB") if via_upstream else None
    )
    emsp = SimulatedEmsp(country_code="DE", party_id="MSP", name="sim-emsp", tokens=3, observer=say.observe)
    cpo = SimulatedCpo(
        country_code="NL",
        party_id="CPO",
        name="sim-cpo",
        evses=4,
        evses_per_location=2,
        publish_to=[emsp.party.key],
        tick_seconds=tick_seconds,
        time_scale=PERIOD_MINUTES * 60 / tick_seconds,
        observer=say.observe,
        version=cpo_version,
    )
    if hub_b is None:
        say.say("OCPI hub demo: one simulated CPO and one simulated eMSP, every message through the hub.")
        if cpo_version != emsp.version:
            say.say(f"   The CPO speaks OCPI {cpo_version}, the eMSP {emsp.version}: the hub translates between them.")
    else:
        say.say("OCPI hub demo: a simulated CPO on hub A, a simulated eMSP on hub B, every message through both hubs.")
    try:
        await hub.start()
        say.say(f"   hub        {hub.url}  (pid {hub.pid}, SQLite in {directory}, payload validation strict)")
        if hub_b is not None:
            await hub_b.start()
            say.say(f"   hub B      {hub_b.url}  (pid {hub_b.pid}, SQLite in {hub_b.workdir})")
        for platform, what in (
            (cpo, f"{len(cpo.locations)} locations, {cpo.evse_count} EVSEs, tariffs AC and DC"),
            (emsp, f"{len(emsp.tokens)} tokens"),
        ):
            await platform.start()
            say.say(f"   {platform.party.label:<10} {platform.base_url}  ({platform.name}: {what})")
        if hub_b is None:
            await _connect_direct(cpo, emsp, hub, say)
        else:
            await _connect_chain(cpo, emsp, hub, hub_b, say)
        result = await _play(cpo, emsp, say, periods)
        result.exchanges = list(say.exchanges)
        result.seconds = time.time() - say.started
        say.say(f"\nDone in {result.seconds:.1f} s: {len(say.exchanges)} messages, all answered with OCPI 1000.")
        if keep_running:
            say.say(
                f"\nStill running (Ctrl-C to stop): hub {hub.url}, CPO {cpo.base_url}, eMSP {emsp.base_url}."
                f"\nInspect the hub with:  HUB_DATABASE_URL={hub.env()['HUB_DATABASE_URL']} "
                f"HUB_SECRET_KEY={hub.secret_key} ocpi-hub platforms list"
            )
            await _wait_for_interrupt(say)
        return result
    except DemoFailed:
        say.flush()
        for process in (hub, hub_b):
            if process is not None:
                say.say(f"\nThe log of the hub at {process.url} ({process.log_path}):\n{process.logs()}")
        raise
    finally:
        await asyncio.gather(cpo.stop(), emsp.stop(), return_exceptions=True)
        await asyncio.gather(hub.stop(), *([hub_b.stop()] if hub_b is not None else []))
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


def main(*, keep_running: bool = False, via_upstream: bool = False, cpo_version: str = "2.2.1") -> int:
    """The `ocpi-hub demo` command: 0 when the session and its CDR went through."""
    try:
        asyncio.run(run_demo(keep_running=keep_running, via_upstream=via_upstream, cpo_version=cpo_version))
    except DemoFailed as exc:
        print(f"\nThe demo failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
