"""The load-test runner's pieces that need no Locust run: options, weights and the summary."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from loadtests import run
from simulators import SimulatedCpo, SimulatedEmsp

HEADER = "Type,Name,Request Count,Failure Count,Requests/s,50%,95%,99%"


def test_defaults_are_modest_and_bounded() -> None:
    args = run._parser().parse_args([])
    assert (args.duration, args.users, args.cpos, args.emsps) == (30, 20, 2, 2)
    assert args.weights == run.DEFAULT_WEIGHTS


def test_weights_override_the_defaults() -> None:
    weights = run._weights("evse_status=5, command=0")
    assert weights["evse_status"] == 5 and weights["command"] == 0 and weights["authorize"] == 20
    with pytest.raises(argparse.ArgumentTypeError):
        run._weights("nope=1")


def test_summary_quotes_rate_percentiles_and_errors(tmp_path: Path) -> None:
    csv = tmp_path / "locust_stats.csv"
    csv.write_text(
        f"{HEADER}\n"
        "PATCH,PATCH locations EVSE status,1200,0,40.0,7,30,90\n"
        "POST,POST cdrs,300,2,10.0,30,500,1100\n"
        ",Aggregated,1500,2,50.0,9,99,480\n"
    )
    cpo, emsp = SimulatedCpo(), SimulatedEmsp()
    cpo.sent, cpo.failed = 10, 1
    args = run._parser().parse_args(["--duration", "5"])
    text = run._summary(run._read_stats(csv), [cpo, emsp], args, seconds=12.0)
    lines = text.splitlines()
    assert any(line.split()[-6:] == ["1200", "40.0", "7", "30", "90", "0"] for line in lines)
    assert any(line.startswith("Aggregated") and line.split()[-1] == "2" for line in lines)
    assert lines[-1].endswith("10, failed: 1")
