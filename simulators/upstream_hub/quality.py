"""Gireve's data-quality rules (upstream-ocpi-hub.md §1.8), checked before the hub accepts an
object: each function returns the problems found (empty: accepted)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["connector_problems", "evse_problems", "location_problems", "token_problems"]

Obj = dict[str, Any]
_RFID_UID = re.compile(r"[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}")


def _named(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("name"), str) and bool(obj["name"].strip())


def connector_problems(connector: Obj, where: str = "connector") -> list[str]:
    tariff_ids = connector.get("tariff_ids")
    if not isinstance(tariff_ids, list) or not tariff_ids:
        return [f"{where}: tariff_ids missing"]
    return []


def evse_problems(evse: Obj, operator_ids: Sequence[str], where: str = "evse") -> list[str]:
    """evse_id present (unless REMOVED) and prefixed by one of the operation's eMI3 ids,
    capabilities present, every connector with tariff_ids."""
    problems: list[str] = []
    evse_id = evse.get("evse_id")
    if evse.get("status") != "REMOVED":
        if not isinstance(evse_id, str) or not evse_id:
            problems.append(f"{where}: evse_id missing")
        elif not any(evse_id.upper().startswith(f"{op.upper()}*") for op in operator_ids):
            problems.append(f"{where}: evse_id {evse_id} not under {', '.join(operator_ids)}")
    if not isinstance(evse.get("capabilities"), list):
        problems.append(f"{where}: capabilities missing")
    for connector in evse.get("connectors") or []:
        if isinstance(connector, dict):
            problems += connector_problems(connector, f"{where} connector {connector.get('id')}")
    return problems


def location_problems(location: Obj, operator_ids: Sequence[str]) -> list[str]:
    problems: list[str] = []
    if not _named(location.get("owner")):
        problems.append("owner.name missing")
    if not _named(location.get("operator")):
        problems.append("operator.name missing")
    for evse in location.get("evses") or []:
        if isinstance(evse, dict):
            problems += evse_problems(evse, operator_ids, f"evse {evse.get('uid')}")
    return problems


def token_problems(token: Obj) -> list[str]:
    """RFID UIDs: hex of a 4- or 7-byte UID (8 or 14 characters)."""
    uid = token.get("uid")
    if token.get("type", "RFID") == "RFID" and not (isinstance(uid, str) and _RFID_UID.fullmatch(uid)):
        return [f"RFID uid {uid!r} is not 8 or 14 hexadecimal characters"]
    return []
