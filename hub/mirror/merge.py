"""How a push changes a stored object: PUT replaces, PATCH merges, at the level the URL names
(location, EVSE or connector: mod_locations.asciidoc 294-430). Pure functions.

An update whose `last_updated` is older than the stored one's does not overwrite it
(`Outcome.STALE`); the caller counts and logs it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from hub.errors import InvalidParameters
from hub.ocpi.pagination import parse_datetime

__all__ = ["Outcome", "StoreUpdate", "apply_update", "last_updated_of"]

STORED_MODULES = frozenset({"locations", "tariffs", "tokens"})
OWNERSHIP_MODULES = frozenset({"sessions", "cdrs"})


class Outcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"
    NO_BASE = "no_base"  # a PATCH or a child PUT for an object the hub has never seen
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class StoreUpdate:
    """One push, as the store needs it: the owner, the object id path and the body."""

    module: str
    method: str
    country_code: str
    party_id: str
    ids: tuple[str, ...]  # (location_id[, evse_uid[, connector_id]]) or (object_id,)
    body: Any
    memo: bool = False  # a Session between a 2.1.1 party and another: keep its memo (`session_memo`)


def last_updated_of(obj: Any) -> datetime | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("last_updated"), str):
        return None
    try:
        return parse_datetime(obj["last_updated"], "last_updated")
    except InvalidParameters:
        return None


def _older(new: Any, old: Any) -> bool:
    new_at, old_at = last_updated_of(new), last_updated_of(old)
    return new_at is not None and old_at is not None and new_at < old_at


def _child(parent: dict[str, Any], list_key: str, id_key: str, child_id: str) -> dict[str, Any] | None:
    for item in parent.get(list_key) or []:
        if isinstance(item, dict) and str(item.get(id_key, "")).upper() == child_id.upper():
            return item
    return None


def _bump(parent: dict[str, Any], child: Any) -> None:
    child_at, parent_at = last_updated_of(child), last_updated_of(parent)
    if child_at is not None and (parent_at is None or child_at > parent_at):
        parent["last_updated"] = child["last_updated"]


def _put_child(parent: dict[str, Any], list_key: str, id_key: str, child_id: str, body: Any) -> Outcome:
    existing = _child(parent, list_key, id_key, child_id)
    if existing is not None and _older(body, existing):
        return Outcome.STALE
    children = [c for c in parent.get(list_key) or [] if c is not existing]
    parent[list_key] = (
        [*children, body] if existing is None else [body if c is existing else c for c in parent[list_key]]
    )
    _bump(parent, body)
    return Outcome.APPLIED


def _patch(target: dict[str, Any], body: dict[str, Any]) -> Outcome:
    if _older(body, target):
        return Outcome.STALE
    target.update(body)
    return Outcome.APPLIED


def apply_update(stored: dict[str, Any] | None, update: StoreUpdate) -> tuple[Outcome, dict[str, Any] | None]:
    """The new stored object for this push, or why it was not applied."""
    body = update.body
    if update.method == "DELETE":
        return Outcome.DELETED, None
    if not isinstance(body, dict):
        return Outcome.NO_BASE, stored
    depth = len(update.ids)
    if depth == 1:
        if update.method == "PUT":
            if stored is not None and _older(body, stored):
                return Outcome.STALE, stored
            return Outcome.APPLIED, body
        if stored is None:
            return Outcome.NO_BASE, None
        merged = copy.deepcopy(stored)
        return _patch(merged, body), merged
    if stored is None or update.module != "locations":
        return Outcome.NO_BASE, stored
    merged = copy.deepcopy(stored)
    if depth == 2:
        if update.method == "PUT":
            return _put_child(merged, "evses", "uid", update.ids[1], body), merged
        evse = _child(merged, "evses", "uid", update.ids[1])
        if evse is None:
            return Outcome.NO_BASE, stored
        outcome = _patch(evse, body)
        _bump(merged, evse)
        return outcome, merged
    evse = _child(merged, "evses", "uid", update.ids[1])
    if evse is None:
        return Outcome.NO_BASE, stored
    if update.method == "PUT":
        outcome = _put_child(evse, "connectors", "id", update.ids[2], body)
    else:
        connector = _child(evse, "connectors", "id", update.ids[2])
        if connector is None:
            return Outcome.NO_BASE, stored
        outcome = _patch(connector, body)
        _bump(evse, connector)
    _bump(merged, evse)
    return outcome, merged


def session_memo(stored: dict[str, Any] | None, update: StoreUpdate) -> dict[str, Any] | None:
    """What the store keeps of a Session a 2.1.1 party is on one side of (`StoreUpdate.memo`;
    of any other only its owner): the party of its token and its charging periods, which
    `hub.editions` bridges with (the receiver of a 2.1.1 PATCH, the periods a 2.1.1 PATCH repeats
    or a 2.1.1 receiver wants whole). A PUT replaces it; a PATCH
    keeps the token and appends its periods (mod_sessions.asciidoc 299-301). Nothing of either:
    None."""
    body = update.body
    if update.method not in ("PUT", "PATCH") or not isinstance(body, dict):
        return stored
    memo: dict[str, Any] = dict(stored or {}) if update.method == "PATCH" else {}
    token = body.get("cdr_token")
    if isinstance(token, dict):
        memo["cdr_token"] = {k: token[k] for k in ("country_code", "party_id") if isinstance(token.get(k), str)}
    periods = body.get("charging_periods")
    if isinstance(periods, list):
        earlier = memo.get("charging_periods") if update.method == "PATCH" else None
        memo["charging_periods"] = [*(earlier if isinstance(earlier, list) else []), *periods]
    return memo or None  # nothing to remember: no data, as for a CDR
