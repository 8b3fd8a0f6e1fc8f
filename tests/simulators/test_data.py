"""Generated data: deterministic, valid OCPI 2.2.1 (the hub's own models), priced right."""

from __future__ import annotations

import pytest

from hub.types import InterfaceRole, PartyKey
from hub.validation.catalogue import catalogue
from simulators.data import make_locations, make_tariffs, make_tokens
from simulators.pricing import price_session

CPO, EMSP = PartyKey.of("NL", "CPO"), PartyKey.of("DE", "MSP")


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert make_locations(CPO, evses=50, seed=3) == make_locations(CPO, evses=50, seed=3)
    assert make_locations(CPO, evses=50, seed=3) != make_locations(CPO, evses=50, seed=4)
    assert make_tokens(EMSP, count=30, seed=1) == make_tokens(EMSP, count=30, seed=1)
    assert make_tokens(EMSP, count=30, seed=1) != make_tokens(EMSP, count=30, seed=2)


def test_sizes_and_ids() -> None:
    locations = make_locations(CPO, evses=10, evses_per_location=4)
    assert [len(loc["evses"]) for loc in locations] == [4, 4, 2]
    evse = locations[0]["evses"][0]
    assert evse["uid"] == "LOC00001-1" and evse["evse_id"] == "NL*CPO*E00001*1"
    tokens = make_tokens(EMSP, count=100)
    assert len({(t["uid"], t["type"]) for t in tokens}) == 100
    assert sum(not t["valid"] for t in tokens) == 5 and sum(t["type"] == "APP_USER" for t in tokens) == 10
    with pytest.raises(ValueError):
        make_locations(CPO, evses=0)


def test_generated_objects_are_valid_for_the_hub() -> None:
    rules = catalogue()
    checks = [("locations", f"NL/CPO/{loc['id']}", loc) for loc in make_locations(CPO, evses=40, evses_per_location=3)]
    checks += [("tariffs", f"NL/CPO/{t['id']}", t) for t in make_tariffs(CPO)]
    checks += [("tokens", f"DE/MSP/{t['uid']}", t) for t in make_tokens(EMSP, count=40)]
    for module, rest, obj in checks:
        target = rules.request("2.2.1", module, InterfaceRole.RECEIVER, "PUT", rest)
        assert target is not None
        target.adapter.validate_python(obj)


@pytest.mark.parametrize(
    ("tariff_id", "kwh", "hours", "excl", "incl"),
    [
        ("AC", 8.25, 0.75, 0.50 + 8.25 * 0.25 + 0.75 * 2.00, (0.50 + 8.25 * 0.25 + 0.75 * 2.00) * 1.21),
        ("DC", 12.5, 0.25, 1.00 + 12.5 * 0.59, (1.00 + 12.5 * 0.59) * 1.21),
        ("AC", 0.0, 0.0, 0.50, 0.605),  # the start fee is due even for nothing
        ("AC", 1.0, 61 / 3600, 0.50 + 0.25 + 120 / 3600 * 2.00, None),  # TIME steps of 60 s: 61 s bills 2 minutes
        ("AC", 1.0004, 0.0, 0.50 + 1.001 * 0.25, None),  # ENERGY steps of 1 Wh
    ],
)
def test_pricing(tariff_id: str, kwh: float, hours: float, excl: float, incl: float | None) -> None:
    tariff = next(t for t in make_tariffs(CPO) if t["id"] == tariff_id)
    costs = price_session(tariff, energy_kwh=kwh, charging_hours=hours)
    assert costs.total[0] == pytest.approx(excl, abs=1e-4)
    if incl is not None:
        assert costs.total[1] == pytest.approx(incl, abs=1e-3)
    assert price_session(None, energy_kwh=kwh, charging_hours=hours).total == (0.0, 0.0)
