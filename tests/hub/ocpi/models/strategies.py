"""Hypothesis strategies that build valid OCPI objects from the models themselves, and the places
in a built object where a mutation must make it fail.

`objects(Model)` walks the model's fields: sized strings within their length and alphabet (ASCII
for CiString and 2.1.1 strings, printable UTF-8 for 2.2+ strings), DateTimes in the allowed
forms, regex-shaped strings (coordinates, times, dates) from their pattern, enumeration values,
numbers within their bounds, lists within their cardinality, optional fields sometimes left out.
The few model-level rules (Hours, PublishTokenType, StartSession, Credit CDR) get a fix-up.

`sites(Model, value)` lists the mutable places of a built value: (loc, kind) with kind one of
"required" (a mandatory field), "enum", "string" (has a maximum length) and "datetime".
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import annotated_types
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from hub.ocpi.models.types import ASCII_PATTERN, DATETIME_PATTERN, PRINTABLE_PATTERN, OneOf

__all__ = ["datetimes", "objects", "sites"]

Loc = tuple[int | str, ...]
_MAX_LIST = 2
_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))


def datetimes() -> st.SearchStrategy[str]:
    """An OCPI DateTime in one of the forms types.asciidoc allows."""
    moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))
    forms = st.sampled_from(
        ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S.%f"]
    )

    def render(moment: datetime, form: str, digits: int) -> str:
        text = moment.strftime(form)
        if "%f" in form:  # strftime gives 6 digits: keep 1 to 3 (string(25) leaves room for that)
            head, _, tail = text.partition(".")
            text = f"{head}.{tail[:digits]}{'Z' if tail.endswith('Z') else ''}"
        return text

    return st.builds(render, moments, forms, st.integers(1, 3))


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(bare type, constraint metadata, optional?) of an annotation."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata.extend(extra)
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(members) < len(typing.get_args(annotation))
            annotation = members[0]
        else:
            return annotation, metadata, optional


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found |= _constraints(list(item.metadata))
        for name in ("max_length", "min_length", "pattern", "ge", "le", "gt", "lt"):
            value = getattr(item, name, None)
            if value is not None:
                found[name] = value
        if isinstance(item, OneOf):  # an enum narrowed to some members (2.3.0 Role)
            found["members"] = item.members
        if isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
        if isinstance(item, annotated_types.MinLen):
            found["min_length"] = item.min_length
    return found


def _field(info: FieldInfo) -> tuple[Any, dict[str, Any], bool]:
    bare, metadata, optional = _unwrap(info.annotation)
    found = _constraints([*metadata, *info.metadata])
    return bare, found, optional


def value_of(bare: Any, found: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid value of the (unwrapped) type `bare` with constraints `found`."""
    origin = typing.get_origin(bare)
    if origin is list:
        item, item_meta, _ = _unwrap(typing.get_args(bare)[0])
        return st.lists(
            value_of(item, _constraints(item_meta)), min_size=found.get("min_length", 0), max_size=_MAX_LIST
        )
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return objects(bare)
    if isinstance(bare, type) and issubclass(bare, Enum):
        return st.sampled_from([m.value for m in found.get("members", bare)])
    if bare is bool:
        return st.booleans()
    if bare is int:
        return st.integers(min_value=found.get("ge", -(2**31)), max_value=found.get("le", 2**31))
    if bare is float:
        return st.floats(
            min_value=found.get("ge", -1e9), max_value=found.get("le", 1e9), allow_nan=False, allow_infinity=False
        ) | st.integers(min_value=int(found.get("ge", -(10**6))), max_value=int(found.get("le", 10**6)))
    if bare is str:
        return _text(found)
    return st.none()


def _text(found: dict[str, Any]) -> st.SearchStrategy[str]:
    pattern = found.get("pattern")
    size = found.get("max_length")
    if pattern == DATETIME_PATTERN:
        return datetimes()
    if pattern in (ASCII_PATTERN, PRINTABLE_PATTERN, None):
        alphabet = _ASCII if pattern == ASCII_PATTERN else _PRINTABLE
        return st.text(alphabet=alphabet, max_size=min(size or 40, 40))
    strategy = st.from_regex(pattern, fullmatch=True)
    return strategy.filter(lambda s: size is None or len(s) <= size) if size else strategy


@st.composite
def objects(draw: st.DrawFn, model: type[BaseModel]) -> dict[str, Any]:
    """A valid instance of `model` as parsed JSON (a dict)."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        bare, found, optional = _field(info)
        required = info.is_required()
        if not required and draw(st.booleans()):
            continue
        out[name] = draw(value_of(bare, found))
        if out[name] is None and not optional:
            del out[name]
    return _fix_up(model, out)


def _fix_up(model: type[BaseModel], value: dict[str, Any]) -> dict[str, Any]:
    """Satisfy the model-level rules the generic walk cannot know."""
    names = {cls.__name__ for cls in model.__mro__}
    if "Hours" in names and "twentyfourseven" in model.model_fields:
        if not value.get("regular_hours"):
            value["twentyfourseven"] = True
        if value.get("twentyfourseven"):
            value.pop("regular_hours", None)
    if "PublishTokenType" in names:
        value.setdefault("uid", "TOKEN1")
        value.setdefault("type", "RFID")
        if "visual_number" in value:
            value.setdefault("issuer", "Issuer")
    if "StartSession" in names and "connector_id" in value and "evse_uid" not in value:
        del value["connector_id"]
    if "CDR" in names and value.get("credit") and "credit_reference_id" not in value:
        value["credit"] = False
    return value


def sites(model: type[BaseModel], value: Any, loc: Loc = ()) -> list[tuple[Loc, str, dict[str, Any]]]:
    """The places of `value` (built for `model`) a mutation can break: (loc, kind, constraints)."""
    found: list[tuple[Loc, str, dict[str, Any]]] = []
    if not isinstance(value, dict):
        return found
    for name, info in model.model_fields.items():
        if name not in value:
            continue
        here = (*loc, name)
        bare, constraints, _ = _field(info)
        if info.is_required():
            found.append((here, "required", constraints))
        found.extend(_sites_of(bare, constraints, value[name], here))
    return found


def _sites_of(bare: Any, constraints: dict[str, Any], value: Any, loc: Loc) -> list[tuple[Loc, str, dict[str, Any]]]:
    if value is None:
        return []
    if typing.get_origin(bare) is list:
        item, item_meta, _ = _unwrap(typing.get_args(bare)[0])
        out: list[tuple[Loc, str, dict[str, Any]]] = []
        for index, element in enumerate(value):
            out.extend(_sites_of(item, _constraints(item_meta), element, (*loc, index)))
        return out
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return sites(bare, value, loc)
    if isinstance(bare, type) and issubclass(bare, Enum):
        return [(loc, "enum", constraints)]
    if bare is str and constraints.get("pattern") == DATETIME_PATTERN:
        return [(loc, "datetime", constraints)]
    if (
        bare is str
        and constraints.get("max_length")
        and constraints.get("pattern") in (ASCII_PATTERN, PRINTABLE_PATTERN)
    ):
        return [(loc, "string", constraints)]
    return []


def kinds(model: type[BaseModel], seen: frozenset[type[BaseModel]] = frozenset()) -> set[str]:
    """The kinds of mutation sites `model` can offer (a static walk of its fields)."""
    found: set[str] = set()
    for info in model.model_fields.values():
        bare, constraints, _ = _field(info)
        if info.is_required():
            found.add("required")
        while typing.get_origin(bare) is list:
            bare, meta, _ = _unwrap(typing.get_args(bare)[0])
            constraints = _constraints(meta)
        if isinstance(bare, type) and issubclass(bare, BaseModel) and bare not in seen:
            found |= kinds(bare, seen | {model})
        elif isinstance(bare, type) and issubclass(bare, Enum):
            found.add("enum")
        elif bare is str and constraints.get("pattern") == DATETIME_PATTERN:
            found.add("datetime")
        elif bare is str and constraints.get("max_length"):
            found.add("string")
    return found
