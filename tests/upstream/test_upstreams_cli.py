"""`ocpi-hub upstreams ...`: the operator's surface for upstream hubs and their routes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from hub.types import PartyKey

ArunCli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_add_show_routes_remove_an_upstream(arun_cli: ArunCli, hub_app: Starlette) -> None:
    added = json.loads(
        ok(
            await arun_cli(
                "upstreams", "add", "--name", "iop", "--kind", "ocpi", "--profile", "gireve",
                "--hub-role", "HUB:FR:007", "--route", "CPO:FR:AB1=FR*AB1", "--route", "EMSP:FR:MS1",
                "--option", "patch_sessions=", "--json",
            )
        )
    )  # fmt: skip
    assert added["token_a"] and added["platform_id"]
    upstream = str(added["platform_id"])
    shown = json.loads(ok(await arun_cli("upstreams", "show", upstream)))
    assert (shown["name"], shown["kind"], shown["profile"], shown["status"]) == (
        "iop",
        "ocpi_upstream",
        "gireve",
        "PLANNED",
    )
    assert [(r["party"], r["source"], r["priority"], r["upstream_ids"]) for r in shown["routes"]] == [
        ("CPO:FR:AB1", "config", 20, ["FR*AB1"]),
        ("EMSP:FR:MS1", "config", 20, []),
    ]
    # the running hub sees the route (through the registry revision), not yet usable (PLANNED)
    routing = hub_app.state.hub.routing
    routing.invalidate()
    (entry,) = await routing.entries(PartyKey.of("FR", "AB1"))
    assert (entry.platform.name, entry.connected) == ("iop", False)

    ok(await arun_cli("upstreams", "routes", upstream, "--route", "EMSP:FR:MS1"))
    listed = json.loads(ok(await arun_cli("upstreams", "list", "--json")))
    assert [r["party"] for r in listed[0]["routes"]] == ["EMSP:FR:MS1"]

    ok(await arun_cli("upstreams", "remove", upstream))
    assert json.loads(ok(await arun_cli("upstreams", "list", "--json"))) == []


async def test_upstream_mistakes_are_refused_with_a_message(arun_cli: ArunCli) -> None:
    ok(await arun_cli("platforms", "add", "--name", "cpo", "--role", "CPO:NL:CPA"))
    cases = [
        (("--kind", "ocpi", "--hub-role", "CPO:FR:007"), "role HUB"),
        (("--kind", "ocpi", "--profile", "nope", "--hub-role", "HUB:FR:007"), "Profile"),
        (("--kind", "oicp", "--hub-role", "HUB:DE:HBS"), "base_url"),
        (("--kind", "ocpi", "--hub-role", "HUB:FR:007", "--route", "CPO:NL:CPA"), "directly"),
        (("--kind", "ocpi", "--hub-role", "HUB:FR:007", "--option", "novalue"), "KEY=VALUE"),
    ]
    for args, message in cases:
        result = await arun_cli("upstreams", "add", "--name", "x", *args)
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
    # nothing was half stored by a refused add
    assert json.loads(ok(await arun_cli("upstreams", "list", "--json"))) == []
