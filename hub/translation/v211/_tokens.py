"""Tokens and Commands 2.1.1 <-> 2.2.1; rules in the package docstring."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind
from hub.translation.v211._common import (
    V211,
    V221,
    Obj,
    _fit,
    _rename,
)

# --- Tokens ----------------------------------------------------------------------------------------


def _token_fields_up(t: Mapping[str, Any]) -> Obj:
    """The fields of a 2.1.1 Token present in `t`, in 2.2.1 form."""
    return _rename(t, {"auth_id": "contract_id"})


def _token_up(t: Mapping[str, Any], owner: Obj) -> Obj:
    return {**owner, **_token_fields_up(t)}


_TOKEN_DROPPED = frozenset({"country_code", "party_id", "group_id", "default_profile_type", "energy_contract"})


def _token_down(t: Mapping[str, Any]) -> Obj:
    """The fields of a 2.2.1 Token present in `t` (a whole Token or a PATCH body), in 2.1.1 form."""
    out = _rename(t, {"contract_id": "auth_id"}, _TOKEN_DROPPED)
    if out.get("type") in ("AD_HOC_USER", "APP_USER"):
        out["type"] = "OTHER"
    return out


def _references_up(r: Mapping[str, Any], path: str = "") -> Obj:
    if r.get("connector_ids"):
        raise Untranslatable(f"{path}connector_ids", V221, "2.2.1 cannot restrict to connectors: it would widen it")
    out: Obj = {"location_id": _fit(r["location_id"], 36, f"{path}location_id", V221)}
    if r.get("evse_uids") is not None:
        out["evse_uids"] = [_fit(u, 36, f"{path}evse_uids[{i}]", V221) for i, u in enumerate(r["evse_uids"])]
    return out


# --- Commands --------------------------------------------------------------------------------------


def _command_up(kind: ObjectKind, c: Mapping[str, Any], owner: Callable[[], Obj]) -> Obj:
    out = dict(c)
    for key in ("location_id", "evse_uid"):
        if c.get(key) is not None:
            out[key] = _fit(c[key], 36, key, V221)
    if "token" in c:
        out["token"] = _token_up(c["token"], owner())
    if kind is ObjectKind.RESERVE_NOW:
        out["reservation_id"] = str(c["reservation_id"])
    return out


def _command_down(kind: ObjectKind, c: Mapping[str, Any]) -> Obj:
    out = {k: v for k, v in c.items() if k not in ("authorization_reference", "connector_id")}
    if kind is ObjectKind.UNLOCK_CONNECTOR:
        out["connector_id"] = c["connector_id"]
    if "token" in c:
        out["token"] = _token_down(c["token"])
    if kind is ObjectKind.RESERVE_NOW:
        rid = c["reservation_id"]
        if not rid.lstrip("-").isdigit() or rid != str(int(rid)):
            raise Untranslatable("reservation_id", V211, "2.1.1 reservation ids are integers")
        out["reservation_id"] = int(rid)
    return out
