"""AgreementPolicy: most specific rule wins, deny wins ties, wildcards, unordered pairs, and the
configured default when no rule matches. Pure."""

from __future__ import annotations

import pytest

from hub.routing.agreements import AgreementPolicy, Rule, party_pattern
from hub.types import PartyKey

CPO, EMSP, OTHER_EMSP = PartyKey.of("NL", "CPA"), PartyKey.of("DE", "EMS"), PartyKey.of("DE", "EMX")
A, B, C = "NL*CPA", "DE*EMS", "DE*EMX"


def allow(a: str, b: str, module: str = "*") -> Rule:
    return Rule(a, b, module, True)


def deny(a: str, b: str, module: str = "*") -> Rule:
    return Rule(a, b, module, False)


@pytest.mark.parametrize(("default", "expected"), [(True, True), (False, False)])
def test_no_rule_means_the_default(default: bool, expected: bool) -> None:
    assert AgreementPolicy([], default_allow=default).allows(CPO, EMSP, "locations") is expected
    # a rule for another pair or module does not change that
    policy = AgreementPolicy([deny(A, C), allow(A, C)], default_allow=default)
    assert policy.allows(CPO, EMSP, "locations") is expected


def test_the_pair_is_unordered() -> None:
    policy = AgreementPolicy([deny(A, B, "locations")], default_allow=True)
    assert not policy.allows(CPO, EMSP, "locations")
    assert not policy.allows(EMSP, CPO, "locations")


def test_exact_module_beats_wildcard_module() -> None:
    policy = AgreementPolicy([allow(A, B), deny(A, B, "tokens")], default_allow=False)
    assert policy.allows(CPO, EMSP, "locations")
    assert not policy.allows(CPO, EMSP, "tokens")


def test_exact_parties_beat_wildcard_parties() -> None:
    closed_but_one = AgreementPolicy([deny("*", "*"), allow(A, B)], default_allow=True)
    assert closed_but_one.allows(CPO, EMSP, "locations")
    assert closed_but_one.allows(EMSP, CPO, "cdrs")
    assert not closed_but_one.allows(CPO, OTHER_EMSP, "locations")
    open_but_one = AgreementPolicy([allow("*", "*"), deny(B, A)], default_allow=False)
    assert not open_but_one.allows(CPO, EMSP, "locations")
    assert open_but_one.allows(CPO, OTHER_EMSP, "locations")


def test_one_wildcard_party_matches_either_side() -> None:
    policy = AgreementPolicy([deny(A, "*", "locations")], default_allow=True)
    assert not policy.allows(CPO, EMSP, "locations")
    assert not policy.allows(EMSP, CPO, "locations")
    assert policy.allows(EMSP, OTHER_EMSP, "locations")
    assert policy.allows(CPO, EMSP, "tokens")


def test_more_specific_allow_beats_less_specific_deny() -> None:
    policy = AgreementPolicy([deny(A, "*", "locations"), allow(A, B, "locations")], default_allow=True)
    assert policy.allows(CPO, EMSP, "locations")
    assert not policy.allows(CPO, OTHER_EMSP, "locations")


@pytest.mark.parametrize("deny_first", [True, False])
def test_deny_wins_between_equally_specific_rules(deny_first: bool) -> None:
    rules = [deny(A, "*", "locations"), allow(A, B)]  # both name two of (party, party, module)
    policy = AgreementPolicy(rules if deny_first else rules[::-1], default_allow=True)
    assert not policy.allows(CPO, EMSP, "locations")
    assert policy.allows(CPO, EMSP, "tokens")  # only the allow matches there


def test_wildcards_everywhere() -> None:
    assert not AgreementPolicy([deny("*", "*", "*")], default_allow=True).allows(CPO, EMSP, "x")
    assert AgreementPolicy([allow("*", "*", "*")], default_allow=False).allows(CPO, EMSP, "x")
    assert not AgreementPolicy([deny("*", "*", "tokens")], default_allow=True).allows(CPO, EMSP, "tokens")


def test_party_keys_compare_case_insensitively() -> None:
    policy = AgreementPolicy([deny(party_pattern("nl:cpa"), party_pattern("de*ems"))], default_allow=True)
    assert not policy.allows(PartyKey.of("nl", "cpa"), PartyKey.of("De", "Ems"), "locations")


@pytest.mark.parametrize(
    ("text", "stored"), [("NL:CPA", "NL*CPA"), ("nl*cpa", "NL*CPA"), (" de:ems ", "DE*EMS"), ("*", "*")]
)
def test_party_pattern(text: str, stored: str) -> None:
    assert party_pattern(text) == stored


@pytest.mark.parametrize("text", ["NL", "NLCPA", "N:CPA", "NL:CP", "NL:CPAX", ""])
def test_party_pattern_refuses_what_is_not_a_party(text: str) -> None:
    with pytest.raises(ValueError):
        party_pattern(text)
