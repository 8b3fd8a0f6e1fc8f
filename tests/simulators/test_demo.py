"""`ocpi-hub demo`: the hub as a real process, both simulators, a full session; the CDR must reach
the eMSP with the totals its tariff gives."""

from __future__ import annotations

import io

import pytest

from hub.cli import main as cli_main
from simulators.demo import run_demo

pytestmark = pytest.mark.e2e


async def test_demo_plays_a_session_and_the_cdr_reaches_the_emsp_with_the_right_totals() -> None:
    out = io.StringIO()
    result = await run_demo(out=out)
    printed = out.getvalue()

    cdr = result.cdr_received
    assert cdr == result.cdr_sent  # byte for byte what the CPO sent, through the hub
    periods = cdr["charging_periods"]
    assert len(periods) >= 3
    energy = sum(d["volume"] for p in periods for d in p["dimensions"] if d["type"] == "ENERGY")
    hours = sum(d["volume"] for p in periods for d in p["dimensions"] if d["type"] == "TIME")
    assert cdr["total_energy"] == pytest.approx(energy) == pytest.approx(len(periods) * 2.75)  # 11 kW, 15 min
    assert cdr["total_time"] == pytest.approx(hours) == pytest.approx(len(periods) * 0.25)
    assert result.tariff["id"] == "AC"  # 0.50 per session, 0.25 per kWh, 2.00 per hour, VAT 21 %
    excl = 0.50 + cdr["total_energy"] * 0.25 + cdr["total_time"] * 2.00
    assert cdr["total_cost"] == {
        "excl_vat": pytest.approx(excl, abs=1e-4),
        "incl_vat": pytest.approx(excl * 1.21, abs=1e-3),
    }
    assert cdr["total_energy_cost"]["excl_vat"] == pytest.approx(cdr["total_energy"] * 0.25)
    assert result.session["status"] == "COMPLETED" and result.session["kwh"] == cdr["total_energy"]
    assert cdr["cdr_token"]["uid"] in printed

    # every message crossed the hub and got OCPI 1000
    assert result.exchanges and all(e.ok for e in result.exchanges)
    for step in ("Registration", "Location sync", "Token authorization", "Remote start", "Charging", "Stop and CDR"):
        assert step in printed
    for message in ("authorize", "START_SESSION", "STOP_SESSION", "status CHARGING", "status AVAILABLE", "POST   cdrs"):
        assert message in printed, message
    assert "COMPLETED" in printed and f"The CDR {cdr['id']} reached the eMSP" in printed
    assert result.seconds < 30


async def test_the_demo_crosses_a_chain_of_two_hubs() -> None:
    """The CPO on hub A, the eMSP on hub B, each hub the other's upstream: the same session, every
    message through both hubs (HubClientInfo teaches each hub the other's party; callback URLs of
    one hub, re-sealed by the other, stay within OCPI's 255 characters)."""
    out = io.StringIO()
    result = await run_demo(out=out, via_upstream=True, periods=2)
    printed = out.getvalue()
    assert result.cdr_received == result.cdr_sent
    assert result.session["status"] == "COMPLETED"
    assert result.exchanges and all(e.ok for e in result.exchanges)
    assert "hub B" in printed and "upstreams add" in printed and "platforms register" in printed
    assert "result ACCEPTED" in printed  # the CommandResult came back through both hubs


async def test_the_demo_bridges_a_2_1_1_cpo_and_a_2_2_1_emsp() -> None:
    """`make demo DEMO_ARGS="--cpo-version 2.1.1"`: the same session, the hub translating every
    message; the eMSP receives the 2.1.1 CPO's CDR as a 2.2.1 CDR with the same totals."""
    out = io.StringIO()
    result = await run_demo(out=out, periods=2, cpo_version="2.1.1")
    printed = out.getvalue()
    sent, received = result.cdr_sent, result.cdr_received
    assert "stop_date_time" in sent and "auth_id" in sent  # what a 2.1.1 CPO sends
    assert received["end_date_time"] == sent["stop_date_time"]
    assert received["cdr_token"]["contract_id"] == sent["auth_id"]
    assert received["total_cost"]["excl_vat"] == pytest.approx(sent["total_cost"])
    assert received["total_energy"] == sent["total_energy"] and received["cdr_location"]["id"] == sent["location"]["id"]
    assert result.session["status"] == "COMPLETED"
    assert result.exchanges and all(e.ok for e in result.exchanges)
    assert "The CPO speaks OCPI 2.1.1, the eMSP 2.2.1" in printed and "--token-encoding raw" in printed


def test_the_cli_has_the_demo_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["demo", "--help"])
    assert exited.value.code == 0
    assert {"--keep-running", "--via-upstream", "--cpo-version"} <= set(capsys.readouterr().out.split())
