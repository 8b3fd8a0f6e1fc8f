"""In-memory OCPI object stores of a simulated platform.

- `Collection`: the objects a platform owns and serves on a SENDER interface, by id and in
  `last_updated` order, paginated like transport_and_format.asciidoc 98-213 says (date_from
  inclusive, date_to exclusive, offset, limit capped by the server, X-Total-Count, X-Limit, Link).
- `ReceivedObjects`: Client Owned Objects a platform received on a RECEIVER interface, keyed
  by the URL (`{country_code}/{party_id}/{id}`), with PUT/PATCH/GET semantics, including the
  nested EVSE and Connector paths of locations and the charging-period append of session PATCH
  (2.2+; `append_periods=False` for 2.1.1, whose PATCH replaces the list).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams

from hub.errors import InvalidParameters, NotFound
from hub.ocpi.pagination import Page, PageRequest, parse_datetime

__all__ = ["Collection", "ReceivedObjects", "Obj"]

Obj = dict[str, Any]


def _moment(obj: Obj) -> datetime:
    return parse_datetime(str(obj.get("last_updated", "")), "last_updated")


class Collection:
    """Objects one platform owns, by id (`key` field), served oldest `last_updated` first."""

    def __init__(self, key: str = "id") -> None:
        self.key = key
        self._by_id: dict[str, Obj] = {}
        self._order: list[tuple[datetime, str]] | None = None

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Obj]:
        return iter(self._by_id.values())

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._by_id

    def get(self, object_id: str) -> Obj | None:
        return self._by_id.get(object_id)

    def put(self, obj: Obj) -> Obj:
        """Add or replace (the caller sets `last_updated`)."""
        self._by_id[str(obj[self.key])] = obj
        self._order = None
        return obj

    def touched(self) -> None:
        """Call after changing an object's `last_updated` in place."""
        self._order = None

    def _sorted(self) -> list[tuple[datetime, str]]:
        if self._order is None:
            self._order = sorted((_moment(o), k) for k, o in self._by_id.items())
        return self._order

    def page(self, params: QueryParams, *, page_limit: int, base_url: str) -> tuple[list[Obj], dict[str, str]]:
        """One page for a list GET and its headers; InvalidParameters for unreadable parameters."""
        request = PageRequest.parse(params, max_limit=page_limit)
        order = self._sorted()
        low = 0 if request.date_from is None else bisect.bisect_left(order, (request.date_from, ""))
        high = len(order) if request.date_to is None else bisect.bisect_left(order, (request.date_to, ""))
        matching = order[low:high] if high > low else []
        chunk = matching[request.offset : request.offset + request.limit]
        headers = Page(total=len(matching), request=request).headers(base_url, params)
        return [self._by_id[k] for _, k in chunk], headers


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.upper() == b.upper()


def _check_ids(body: Obj, cc: str, pid: str, field: str, object_id: str) -> None:
    if "country_code" in body and not _same(body["country_code"], cc):
        raise InvalidParameters("country_code in the body differs from the URL")
    if "party_id" in body and not _same(body["party_id"], pid):
        raise InvalidParameters("party_id in the body differs from the URL")
    if field in body and not _same(body[field], object_id):
        raise InvalidParameters(f"{field} in the body differs from the URL")


def _later(a: Any, b: Any) -> Any:
    """The later of two OCPI DateTimes (strings), either may be missing."""
    if not isinstance(a, str):
        return b
    if not isinstance(b, str):
        return a
    return a if parse_datetime(a, "last_updated") >= parse_datetime(b, "last_updated") else b


class ReceivedObjects:
    """A RECEIVER interface's store for one module; keys are upper-cased URL segments."""

    _ID_FIELD = {"locations": "id", "sessions": "id", "tariffs": "id", "tokens": "uid", "hubclientinfo": ""}

    def __init__(self, module: str, *, append_periods: bool = True) -> None:
        self.module = module
        self.objects: dict[tuple[str, ...], Obj] = {}
        # a Session PATCH's charging_periods: appended (2.2+), or the whole list (2.1.1)
        self.append_periods = append_periods

    def __len__(self) -> int:
        return len(self.objects)

    def values(self) -> list[Obj]:
        return list(self.objects.values())

    def find(self, cc: str, pid: str, object_id: str) -> Obj | None:
        return self.objects.get((cc.upper(), pid.upper(), object_id.upper()))

    @staticmethod
    def _key(parts: list[str]) -> tuple[str, ...]:
        return tuple(p.upper() for p in parts)

    def get(self, parts: list[str]) -> Obj:
        if self.module == "locations":
            return self._location_part(parts)
        found = self.objects.get(self._key(parts))
        if found is None:
            raise NotFound(f"Unknown {self.module} object")
        return found

    def put(self, parts: list[str], body: Obj) -> None:
        self._check(parts, body)
        if self.module == "locations" and len(parts) > 3:
            self._put_child(parts, body)
        else:
            self.objects[self._key(parts)] = body

    def patch(self, parts: list[str], body: Obj) -> None:
        self._check(parts, body)
        if self.module == "locations" and len(parts) > 3:
            self._patch_child(parts, body)
            return
        stored = self.objects.get(self._key(parts))
        if stored is None:
            raise NotFound(f"Unknown {self.module} object")
        periods = body.get("charging_periods") if self.module == "sessions" and self.append_periods else None
        stored.update({k: v for k, v in body.items() if not (k == "charging_periods" and periods is not None)})
        if periods:  # sessions: charging_periods in a PATCH are appended (mod_sessions, PATCH)
            stored["charging_periods"] = list(stored.get("charging_periods") or []) + list(periods)

    def delete(self, parts: list[str]) -> None:
        if self.objects.pop(self._key(parts), None) is None:
            raise NotFound(f"Unknown {self.module} object")

    # --- helpers ---------------------------------------------------------------------------

    def _check(self, parts: list[str], body: Obj) -> None:
        if not isinstance(body, dict):
            raise InvalidParameters("The body must be a JSON object")
        if self.module == "hubclientinfo":
            if len(parts) != 2:
                raise InvalidParameters("Expected /{country_code}/{party_id}")
            _check_ids(body, parts[0], parts[1], "", "")
            return
        deepest = 5 if self.module == "locations" else 3
        if not 3 <= len(parts) <= deepest:
            raise InvalidParameters(f"Expected /{{country_code}}/{{party_id}}/{{id}} for {self.module}")
        field = ("id", "uid", "id")[len(parts) - 3] if self.module == "locations" else self._ID_FIELD[self.module]
        _check_ids(body, parts[0], parts[1], field, parts[-1])

    def _location_part(self, parts: list[str]) -> Obj:
        location = self.objects.get(self._key(parts[:3])) if len(parts) >= 3 else None
        if location is None or len(parts) > 5:
            raise NotFound("Unknown location")
        if len(parts) == 3:
            return location
        evse = _child(location, "evses", "uid", parts[3])
        if evse is None:
            raise NotFound("Unknown EVSE")
        if len(parts) == 4:
            return evse
        connector = _child(evse, "connectors", "id", parts[4])
        if connector is None:
            raise NotFound("Unknown connector")
        return connector

    def _put_child(self, parts: list[str], body: Obj) -> None:
        location = self._location_part(parts[:3])
        if len(parts) == 4:
            _replace_child(location, "evses", "uid", parts[3], body)
        else:
            evse = self._location_part(parts[:4])
            _replace_child(evse, "connectors", "id", parts[4], body)
            evse["last_updated"] = _later(evse.get("last_updated"), body.get("last_updated"))
        location["last_updated"] = _later(location.get("last_updated"), body.get("last_updated"))

    def _patch_child(self, parts: list[str], body: Obj) -> None:
        target = self._location_part(parts)
        target.update(body)
        for depth in range(len(parts) - 1, 2, -1):  # parents get the newer last_updated
            parent = self._location_part(parts[:depth])
            parent["last_updated"] = _later(parent.get("last_updated"), body.get("last_updated"))


def _child(parent: Obj, children: str, key: str, wanted: str) -> Obj | None:
    for child in parent.get(children) or []:
        if isinstance(child, dict) and _same(child.get(key), wanted):
            return child
    return None


def _replace_child(parent: Obj, children: str, key: str, wanted: str, body: Obj) -> None:
    items = [c for c in parent.get(children) or [] if not (isinstance(c, dict) and _same(c.get(key), wanted))]
    items.append(body)
    parent[children] = items
