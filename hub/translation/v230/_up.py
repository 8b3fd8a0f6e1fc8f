"""2.2.1 -> 2.3.0 (rules: the table in `hub.translation.v230`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hub.ocpi.models.types import Role
from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind
from hub.translation.v230._common import LIMIT_FIELDS, V230, Obj, each, one, renamed, same, sub
from hub.translation.v230._down import COSTS

__all__ = ["UP", "credentials_from"]

# --- 2.2.1 -> 2.3.0 ------------------------------------------------------------------------------


def _price_from(price: Obj, path: str) -> Obj:
    out = {k: v for k, v in price.items() if k not in ("excl_vat", "incl_vat")}
    if "excl_vat" in price:
        out["before_taxes"] = price["excl_vat"]
        incl = price.get("incl_vat")
        if incl is not None:
            tax = sub(incl, price["excl_vat"])
            out["taxes"] = [] if tax == 0 else [{"name": "VAT", "amount": tax}]
    return out


def _limit_from(limit: Obj, path: str) -> Obj:
    return renamed(limit, tuple((b, a) for a, b in LIMIT_FIELDS))


def _tariff_from(tariff: Obj, path: str) -> Obj:
    out = dict(tariff)
    for key in ("min_price", "max_price"):
        one(out, key, path, _limit_from)
    if "elements" in out:
        out.setdefault("tax_included", "NO")
    return out


def _session_from(session: Obj, path: str) -> Obj:
    out = dict(session)
    one(out, "total_cost", path, _price_from)
    return out


def _cdr_from(cdr: Obj, path: str) -> Obj:
    out = dict(cdr)
    each(out, "tariffs", path, _tariff_from)
    for key in COSTS:
        one(out, key, path, _price_from)
    return out


def credentials_from(credentials: Obj, reachable_roles: Sequence[Mapping[str, Any]] | None) -> Obj:
    out = dict(credentials)
    roles = credentials.get("roles") or []
    hubs = [n for n, r in enumerate(roles) if r.get("role") == Role.HUB.value]
    if not hubs:
        return out
    if len(hubs) > 1:
        raise Untranslatable(f"roles[{hubs[1]}].role", V230, "2.3.0 has one hub_party_id, this lists several HUB roles")
    if not reachable_roles:
        raise Untranslatable(
            f"roles[{hubs[0]}].role",
            V230,
            "HUB is no role in 2.3.0, where a hub lists the parties reachable through it: pass reachable_roles",
        )
    hub = roles[hubs[0]]
    if len(str(hub.get("country_code", ""))) != 2:  # hub_party_id is the two joined: the split must be clear
        raise Untranslatable(f"roles[{hubs[0]}].country_code", V230, "a hub_party_id needs a two-letter country code")
    out["hub_party_id"] = f"{hub['country_code']}{hub['party_id']}"
    out["roles"] = [dict(r) for r in reachable_roles]
    return out


UP: dict[ObjectKind, Callable[[Obj, str], Obj]] = {
    **dict.fromkeys(ObjectKind, same),
    ObjectKind.SESSION: _session_from,
    ObjectKind.CDR: _cdr_from,
    ObjectKind.TARIFF: _tariff_from,
}
