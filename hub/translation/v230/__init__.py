"""OCPI 2.3.0 <-> 2.2.1 translation (issue 15): pure functions on JSON dicts, 2.2.1 is the pivot.

    to_v221(kind, obj, *, hub_business_details=None)   a 2.3.0 object as a 2.2.1 party reads it
    from_v221(kind, obj, *, reachable_roles=None)      a 2.2.1 object as a 2.3.0 party reads it

2.3.0 changed little (changelog "Changes between 2.2.1-d2 and 2.3.0"): Price with a tax list,
Tariff `tax_included`, PriceLimit, parking (AFIR) and a few informational Location/EVSE/Connector
fields, OpenEnums with new values, Credentials `hub_party_id` and a Role enum without HUB, and the
Payments module. Everything else is the same structure and passes unchanged, unknown fields
included (2.3.0 forbids rejecting them; the models keep them). The functions work on partial
objects (PATCH bodies) as well: only the fields present are translated. No I/O, no clock.

Amounts are added and subtracted as exact decimals (the JSON number's shortest form), so with
amounts of at most 4 decimals (the OCPI number) a round trip gives back the same numbers.

Rules (-> 2.2.1 = `to_v221`, -> 2.3.0 = `from_v221`; "drop" = removed silently):

| field                                   | dir     | rule                                                          |
|-----------------------------------------|---------|---------------------------------------------------------------|
| Price `before_taxes`                    | both    | = 2.2.1 `excl_vat`                                            |
| Price `taxes`                           | ->2.2.1 | `incl_vat` = before_taxes + sum(taxes[].amount); no `taxes`   |
|                                         |         | -> no `incl_vat`; tax names/percentages/accounts are dropped  |
| Price `incl_vat`                        | ->2.3.0 | one TaxAmount {name "VAT", amount incl_vat - excl_vat}, or    |
|                                         |         | `taxes: []` when equal; no `incl_vat` -> no `taxes`           |
| PriceLimit `before_taxes`/`after_taxes` | both    | = Price `excl_vat`/`incl_vat` (Tariff min_price/max_price)    |
| Tariff `tax_included`                   | ->2.2.1 | NO, N/A: prices unchanged. YES: each price component's price  |
|                                         |         | is divided by (1 + vat/100), rounded to 4 decimals; a non-zero|
|                                         |         | price without `vat` -> Untranslatable(`tax_included`)         |
| Tariff `tax_included`                   | ->2.3.0 | "NO" (2.2.1 prices exclude VAT; `vat` says what is added)     |
| Tariff `preauthorize_amount`            | ->2.2.1 | drop (for payment terminals; 2.2.1 has no Payments module)    |
| Location `parking_places`, `help_phone` | ->2.2.1 | drop (informational, AFIR/NAP reporting)                      |
| EVSE `parking`,                         | ->2.2.1 | drop (informational, NAP reporting)                           |
| `accepted_service_providers`            |         |                                                               |
| Connector `capabilities`                | ->2.2.1 | drop (15118 plug-and-charge hints)                            |
| Connector `standard`,                   | ->2.2.1 | a value 2.2.1 lacks (MCS, SAE_J3400, ...) -> Untranslatable   |
| CdrLocation `connector_standard`        |         |                                                               |
| Token / CdrToken `type`,                | ->2.2.1 | a value 2.2.1 lacks (EMAID, ...) -> Untranslatable: the token |
| PublishTokenType `type`                 |         | would be another one (or a visibility rule would widen)       |
| EVSE `parking_restrictions`             | ->2.2.1 | a value 2.2.1 lacks (EMPLOYEES, TAXIS, TENANTS, ...) ->       |
|                                         |         | Untranslatable: dropping it would open the spot to anyone     |
| EVSE `capabilities`, Location           | ->2.2.1 | values 2.2.1 lacks are dropped from the list                  |
| `facilities`                            |         |                                                               |
| Location `parking_type`                 | ->2.2.1 | a value 2.2.1 lacks: the field is dropped (optional)          |
| Image `category`                        | ->2.2.1 | a value 2.2.1 lacks -> "OTHER"                                |
| EnvironmentalImpact `category`          | ->2.2.1 | an entry with a category 2.2.1 lacks is dropped               |
| Credentials `hub_party_id`              | ->2.2.1 | roles = the one HUB role of that party (reachable parties are |
|                                         |         | dropped: 2.2.1 reports them by HubClientInfo); its            |
|                                         |         | business_details: `hub_business_details`, else those of the   |
|                                         |         | listed role of the same party, else Untranslatable            |
| Credentials role HUB                    | ->2.3.0 | `hub_party_id` = its country_code + party_id; roles =         |
|                                         |         | `reachable_roles`; not given -> Untranslatable(roles[i].role) |

Layout: `_common` (exact amounts, list and enum helpers), `_down` (2.3.0 -> 2.2.1), `_up` (2.2.1 ->
2.3.0); this module holds the public functions.

Payments objects (Terminal, FinancialAdviceConfirmation) have no 2.2.1 form (2.2.1 has no
Payments module): `payment_object(name)` gives the Untranslatable to raise for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind
from hub.translation.v230._common import V221, Obj
from hub.translation.v230._down import DOWN, credentials_to
from hub.translation.v230._up import UP, credentials_from

__all__ = ["PAYMENT_OBJECTS", "from_v221", "payment_object", "to_v221"]

PAYMENT_OBJECTS = frozenset({"Terminal", "FinancialAdviceConfirmation"})


def payment_object(name: str) -> Untranslatable:
    """The error for a Payments module object (2.3.0 only) bound for a 2.2.1 party."""
    return Untranslatable(name, V221, "the Payments module exists in OCPI 2.3.0 only; 2.2.1 has no form for it")


def _kind(kind: ObjectKind | str) -> ObjectKind:
    """`kind` as an ObjectKind; a Payments object name raises its Untranslatable."""
    if str(kind) in PAYMENT_OBJECTS:
        raise payment_object(str(kind))
    return ObjectKind(kind)


def to_v221(kind: ObjectKind, obj: dict[str, Any], *, hub_business_details: Mapping[str, Any] | None = None) -> Obj:
    """The 2.3.0 `obj` (a `kind`) as a 2.2.1 party reads it; the input is not modified.

    hub_business_details: Credentials only: the BusinessDetails of the single 2.2.1 HUB role made
    from `hub_party_id` (default: those of the listed role of the hub's own party).
    Raises Untranslatable for a value 2.2.1 cannot carry without a change of meaning (table above).
    """
    known = _kind(kind)
    if known is ObjectKind.CREDENTIALS:
        return credentials_to(dict(obj), hub_business_details)
    return DOWN[known](dict(obj), "")


def from_v221(
    kind: ObjectKind, obj: dict[str, Any], *, reachable_roles: Sequence[Mapping[str, Any]] | None = None
) -> Obj:
    """The 2.2.1 `obj` (a `kind`) as a 2.3.0 party reads it; the input is not modified.

    reachable_roles: Credentials only: the CredentialsRoles (2.3.0 form) of the parties reachable
    through a hub, which 2.3.0 lists instead of the 2.2.1 HUB role; needed when `obj` has one.
    Every 2.2.1 value has a 2.3.0 form (the enums only grew), so only a HUB role can raise.
    """
    known = _kind(kind)
    if known is ObjectKind.CREDENTIALS:
        return credentials_from(dict(obj), reachable_roles)
    return UP[known](dict(obj), "")
