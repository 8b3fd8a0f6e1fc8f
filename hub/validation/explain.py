"""Turning a pydantic ValidationError into violations a caller can act on.

A violation is a field path (`evses[0].connectors[1].standard`, `data[3].status`), a short rule
id (`enum`, `required`, `max_length`, `datetime`, ...) and a brief message ("not a valid
ConnectorType", "longer than 36 characters"). Input values are never used: they may be large or
personal (token uids, contract ids, names).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hub.ocpi.models.types import PATTERN_RULES

__all__ = ["Violation", "explain", "format_path", "generic_path"]

_TYPE_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("required", "required field missing"),
    "string_type": ("type", "must be a string"),
    "int_type": ("type", "must be an integer"),
    "float_type": ("type", "must be a number"),
    "bool_type": ("type", "must be true or false"),
    "model_type": ("type", "must be an object"),
    "model_attributes_type": ("type", "must be an object"),
    "dict_type": ("type", "must be an object"),
    "list_type": ("type", "must be an array"),
    "enum": ("enum", "not a valid value"),
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (path), which rule (a short id) and why (a brief message)."""

    path: str
    rule: str
    message: str
    generic: str = ""  # the path without list indices, for counting

    @property
    def text(self) -> str:
        return f"{self.path or 'body'}: {self.message}"


def format_path(loc: tuple[int | str, ...]) -> str:
    """`('evses', 0, 'status')` -> `evses[0].status`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def generic_path(loc: tuple[int | str, ...]) -> str:
    """The path without list indices, for counting: `evses[].status`."""
    return format_path(tuple(-1 if isinstance(p, int) else p for p in loc)).replace("[-1]", "[]")


def explain(error: ValidationError, root: Any) -> list[Violation]:
    """The violations in `error`, raised while validating against `root` (a type)."""
    return [_violation(detail, root) for detail in error.errors(include_url=False, include_input=False)]


def _violation(detail: ErrorDetails, root: Any) -> Violation:
    loc = tuple(detail["loc"])
    rule, message = _rule(detail, root, loc)
    return Violation(format_path(loc), rule, message, generic_path(loc))


def _rule(detail: ErrorDetails, root: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    if kind == "enum":
        enum = _leaf(root, loc)
        name = enum.__name__ if isinstance(enum, type) and issubclass(enum, Enum) else "value"
        return ("enum", f"not a valid {name}")
    if kind == "string_pattern_mismatch":
        return PATTERN_RULES.get(str(ctx.get("pattern")), ("pattern", "has an invalid format"))
    if kind == "string_too_long":
        return ("max_length", f"longer than {ctx.get('max_length')} characters")
    if kind == "too_short":
        return ("min_items", "must not be empty")
    if kind in ("greater_than_equal", "greater_than"):
        return ("range", f"must be at least {ctx.get('ge', ctx.get('gt'))}")
    if kind in ("less_than_equal", "less_than"):
        return ("range", f"must be at most {ctx.get('le', ctx.get('lt'))}")
    if kind == "value_error":
        return ("constraint", str(ctx.get("error", "invalid")))
    return _TYPE_MESSAGES.get(kind, ("invalid", "invalid value"))


def _leaf(annotation: Any, loc: tuple[int | str, ...]) -> Any:
    """The declared type at `loc` under `annotation` (through models, lists and Optional)."""
    current = _unwrap(annotation)
    for part in loc:
        if isinstance(part, int):
            args = typing.get_args(current)
            if typing.get_origin(current) is not list or not args:
                return None
            current = _unwrap(args[0])
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = _unwrap(current.model_fields[part].annotation)
        else:
            return None
    return current


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and `| None`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
