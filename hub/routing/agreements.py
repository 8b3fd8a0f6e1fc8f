"""Agreements: which parties may exchange which modules, as the hub operator decides.

A rule names a pair of parties (either may be `*`) and a module (or `*`) and allows or denies;
the pair is unordered (a rule for A and B covers both directions). The most specific matching
rule wins (exact parties and module beat wildcards); between equally specific rules a deny
wins. With no matching rule the configured default applies (`agreements_default`, open or
closed). Routing, broadcast, open routing and GET All all ask `allows`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.types import PartyKey

__all__ = ["AgreementPolicy", "Rule", "party_pattern"]

WILDCARD = "*"


def party_pattern(text: str) -> str:
    """`NL:CPA`, `NL*CPA` or `*` -> the stored form `NL*CPA` / `*`."""
    text = text.strip().upper()
    if text == WILDCARD:
        return text
    cc, _, pid = text.replace(":", "*").partition("*")
    if len(cc) != 2 or len(pid) != 3:
        raise ValueError(f"party {text!r} must look like CC:PID (e.g. NL:CPA) or *")
    return f"{cc}*{pid}"


@dataclass(frozen=True, slots=True)
class Rule:
    sender: str
    receiver: str
    module: str
    allow: bool

    def matches(self, a: str, b: str, module: str) -> bool:
        if self.module not in (WILDCARD, module):
            return False
        return self._pair(a, b) or self._pair(b, a)

    def _pair(self, a: str, b: str) -> bool:
        return self.sender in (WILDCARD, a) and self.receiver in (WILDCARD, b)

    @property
    def specificity(self) -> int:
        return sum(part != WILDCARD for part in (self.sender, self.receiver, self.module))


class AgreementPolicy:
    def __init__(self, rules: Iterable[Rule], *, default_allow: bool) -> None:
        self._rules = tuple(rules)
        self._default = default_allow

    def allows(self, a: PartyKey, b: PartyKey, module: str) -> bool:
        best: Rule | None = None
        for rule in self._rules:
            if not rule.matches(str(a), str(b), module):
                continue
            if (
                best is None
                or rule.specificity > best.specificity
                or (rule.specificity == best.specificity and not rule.allow)
            ):
                best = rule
        return self._default if best is None else best.allow
