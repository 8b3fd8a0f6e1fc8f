"""What the hub keeps must be valid, whatever `validation_mode` says.

`validation_mode` (strict / warn / off) is about what the hub merely *forwards*: a receiver may be
lenient, and an operator may let sloppy payloads through. What the hub *keeps* is different: it
is parsed again, ordered by, written to SQLite or PostgreSQL and sent to others later. So, on
every push that changes the hub's store, these rules hold in every mode (an invalid push is
refused with 2001 naming the field, and is neither forwarded, broadcast nor stored):

- Locations, Tariffs and Tokens (PUT / PATCH, the objects the mirror keeps whole): every field
  present has its spec type, length, format and enumeration (the edition's model, see
  `hub.validation.objects`). A *missing* required field is completeness, not safety: it
  follows `validation_mode` like any forwarded payload.
- Their DateTime fields are real instants in UTC (the model's pattern already refuses offsets
  such as `+14:00`, so nothing overflows when converted); `last_updated`, which the hub parses,
  stores in a column and orders updates by, lies in [2000-01-01, 2100-01-01) UTC.
- Sessions and CDRs: the hub keeps only the object's id (Open Routing). The id of a session is a
  path parameter (already checked by `hub.ocpi.grammar`); the id of a CDR POST comes from the
  body and must be a CiString(39) (2.1.1: string(36)).
- Commands and charging profiles: the `response_url` the hub seals into a hub URL is a URL
  (at most 255 printable characters).

Pure functions over parsed JSON; violations carry the field path and a rule, never a value.
"""

from __future__ import annotations

import functools
import types
import typing
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from hub.mirror.merge import STORED_MODULES
from hub.ocpi.models.types import DATETIME_PATTERN
from hub.types import InterfaceRole
from hub.validation.explain import Violation

__all__ = [
    "EARLIEST_LAST_UPDATED",
    "KEPT_NAMES",
    "LATEST_LAST_UPDATED",
    "keeps_object",
    "kept_value_violations",
    "time_violations",
]

EARLIEST_LAST_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_LAST_UPDATED = datetime(2100, 1, 1, tzinfo=UTC)
_KEPT_METHODS = frozenset({"PUT", "PATCH"})
_CALLBACK_MODULES = frozenset({"commands", "chargingprofiles"})
_URL_LENGTH = 255
_CDR_ID_LENGTH = {"2.1.1": 36}
_CDR_ID_DEFAULT = 39
_ASCII = frozenset(range(0x20, 0x7F))
KEPT_NAMES = {"cdrs": "CDR", "commands": "command", "chargingprofiles": "charging profile request"}

# Where a model keeps DateTime fields: field name -> None (a DateTime) or the same for a nested
# model; lists are transparent.
_Times = dict[str, "_Times | None"]
_TOP_LEVEL: _Times = {"last_updated": None}  # a push without a model: its own last_updated


def keeps_object(module: str, interface: InterfaceRole, method: str) -> bool:
    """True for a push whose whole body the hub's mirror keeps (`hub.mirror.updates`)."""
    return module in STORED_MODULES and interface is InterfaceRole.RECEIVER and method in _KEPT_METHODS


def kept_value_violations(
    version: str, module: str, interface: InterfaceRole, method: str, body: Any
) -> list[Violation]:
    """The single values the hub keeps from pushes it does not keep whole (module docstring)."""
    if not isinstance(body, dict):
        return []
    if module == "cdrs" and interface is InterfaceRole.RECEIVER and method == "POST" and "id" in body:
        limit = _CDR_ID_LENGTH.get(version, _CDR_ID_DEFAULT)
        problem = _ascii_problem(body["id"], limit)
        return [Violation("id", problem[0], problem[1], "id")] if problem else []
    if module in _CALLBACK_MODULES and "response_url" in body:
        problem = _url_problem(body["response_url"])
        return [Violation("response_url", problem[0], problem[1], "response_url")] if problem else []
    return []


def time_violations(root: Any, body: Any) -> list[Violation]:
    """DateTime fields of `body` (validated against the model `root`) that are no real UTC instant,
    and `last_updated` fields outside [2000, 2100)."""
    times: _Times = _times_of(root) if isinstance(root, type) and issubclass(root, BaseModel) else _TOP_LEVEL
    found: list[Violation] = []
    _walk(times, body, "", found)
    return found


def _walk(times: _Times, value: Any, path: str, found: list[Violation]) -> None:
    if isinstance(value, list):
        for index, item in enumerate(value):
            _walk(times, item, f"{path}[{index}]", found)
        return
    if not isinstance(value, dict):
        return
    for name, nested in times.items():
        child = value.get(name)
        if child is None:
            continue
        where = f"{path}.{name}" if path else name
        if nested is not None:
            _walk(nested, child, where, found)
            continue
        problem = _time_problem(child, last_updated=name == "last_updated")
        if problem is not None:
            found.append(Violation(where, "datetime_range", problem, where))


def _time_problem(text: Any, *, last_updated: bool) -> str | None:
    if not isinstance(text, str):
        return "must be a string"
    value = text[:-1] if text.endswith("Z") else text
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return "not a real date and time"
    if moment.tzinfo is not None:  # the model's pattern refuses offsets; a model-less push may not
        return "must be UTC (Z or no designator), without an offset"
    moment = moment.replace(tzinfo=UTC)
    if last_updated and not EARLIEST_LAST_UPDATED <= moment < LATEST_LAST_UPDATED:
        return "outside 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z"
    return None


@functools.cache
def _times_of(model: type[BaseModel]) -> _Times:
    found: _Times = {}
    for name, field in model.model_fields.items():
        if _is_datetime(field.metadata):
            found[name] = None
            continue
        nested = _model_in(field.annotation)
        if nested is not None:
            inner = _times_of(nested)
            if inner:
                found[name] = inner
    return found


def _is_datetime(metadata: Any) -> bool:
    for item in metadata:
        if getattr(item, "pattern", None) == DATETIME_PATTERN:
            return True
        inner = getattr(item, "metadata", None)
        if isinstance(inner, list) and _is_datetime(inner):
            return True
    return False


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model under `X | None`, `list[X]`, `Annotated[X, ...]`, if any."""
    while True:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated or origin is list:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) != 1:
                return None
            annotation = members[0]
        else:
            return None


def _ascii_problem(value: Any, limit: int) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return ("type", "must be a string")
    if len(value) > limit:
        return ("max_length", f"longer than {limit} characters")
    if not value or any(ord(c) not in _ASCII for c in value):
        return ("ascii", "must be printable ASCII")
    return None


def _url_problem(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return ("type", "must be a string")
    if len(value) > _URL_LENGTH:
        return ("max_length", f"longer than {_URL_LENGTH} characters")
    if not value.isprintable():
        return ("printable", "must not contain control characters")
    return None
