"""Data-quality gates a Gireve-style upstream applies to what a CPO pushes (upstream-ocpi-hub.md
§1.8), checked before the push leaves the hub: a failure is a visible 2001 to our CPO at once,
instead of data that silently never passes the upstream's asynchronous quality process.

`quality_problems(module, path, body, operator_ids)` is pure and returns readable problems
naming the field; an empty list passes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["quality_problems"]

_RFID_UID = re.compile(r"^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14})$")


def quality_problems(module: str, path: Sequence[str], body: Any, operator_ids: Sequence[str]) -> list[str]:
    if not isinstance(body, dict):
        return []
    if module == "locations":
        depth = len(path) - 2  # owner cc, pid, then location id [, evse uid [, connector id]]
        if depth <= 1:
            return _location(body, operator_ids)
        if depth == 2:
            return _evse(body, "", operator_ids)
        return []
    if module == "tariffs" and "start_date_time" not in body and "elements" in body:
        return ["tariff.start_date_time is required by the upstream hub (else sessions before it cannot be billed)"]
    if module == "tokens" and body.get("type") == "RFID":
        uid = body.get("uid")
        if isinstance(uid, str) and not _RFID_UID.match(uid):
            return ["token.uid of an RFID token must be the 4- or 7-byte UID in hex (8 or 14 characters)"]
    return []


def _location(body: dict[str, Any], operator_ids: Sequence[str]) -> list[str]:
    if "evses" not in body and "name" not in body and "coordinates" not in body:
        return []  # a PATCH of a few fields (status, tariff ids): dynamic data, no static checks
    problems = []
    for field in ("owner", "operator"):
        item = body.get(field)
        if not (isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip()):
            problems.append(f"location.{field}.name is required by the upstream hub")
    for index, evse in enumerate(body.get("evses") or []):
        if isinstance(evse, dict):
            problems.extend(_evse(evse, f"evses[{index}].", operator_ids))
    return problems


def _evse(evse: dict[str, Any], where: str, operator_ids: Sequence[str]) -> list[str]:
    if evse.get("status") == "REMOVED" or ("connectors" not in evse and "evse_id" not in evse):
        return []
    problems = []
    evse_id = evse.get("evse_id")
    if not isinstance(evse_id, str) or not evse_id:
        problems.append(f"location.{where}evse_id is required by the upstream hub")
    elif operator_ids and not any(_prefix(evse_id).startswith(_prefix(o)) for o in operator_ids):
        problems.append(f"location.{where}evse_id must start with the operator id ({', '.join(operator_ids)})")
    if not evse.get("capabilities"):
        problems.append(f"location.{where}capabilities is required by the upstream hub")
    for index, connector in enumerate(evse.get("connectors") or []):
        if isinstance(connector, dict) and not connector.get("tariff_ids"):
            problems.append(f"location.{where}connectors[{index}].tariff_ids is required by the upstream hub")
    return problems


def _prefix(evse_id: str) -> str:
    return evse_id.replace("*", "").upper()
