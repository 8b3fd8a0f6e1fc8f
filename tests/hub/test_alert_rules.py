"""The alerting rules shipped in config/prometheus/ are valid and fire as their unit tests say
(promtool, from the distribution's `prometheus` package), and every hub series they use exists
on a running hub's /metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

RULES = Path(__file__).resolve().parents[2] / "config" / "prometheus"
PROMTOOL = shutil.which("promtool")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=RULES, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian: apt-get install prometheus)")
def test_rules_are_valid_and_their_unit_tests_pass() -> None:
    checked = _promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


async def test_every_hub_series_the_rules_use_is_served(hub_client: httpx.AsyncClient) -> None:
    used = set(re.findall(r"\b(ocpi_hub_[a-z_]+)", (RULES / "alerts.yml").read_text()))
    served = (await hub_client.get("/metrics")).text
    declared = set(re.findall(r"^# TYPE (ocpi_hub_[a-z_]+) (\w+)", served, re.MULTILINE))
    names = {name for name, _ in declared} | {f"{name}_total" for name, kind in declared if kind == "counter"}
    assert used and used <= names, sorted(used - names)
