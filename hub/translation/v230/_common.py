"""Shared helpers of the 2.3.0 <-> 2.2.1 translation: exact amounts, lists, enum checks."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Any

from hub.translation.errors import Untranslatable

__all__ = [
    "LIMIT_FIELDS",
    "renamed",
    "V221",
    "V230",
    "Obj",
    "add",
    "dec",
    "each",
    "keep_known",
    "known",
    "num",
    "one",
    "refuse_unknown",
    "same",
    "sub",
]

V221 = "2.2.1"
V230 = "2.3.0"

Obj = dict[str, Any]

# --- numbers -------------------------------------------------------------------------------------


def dec(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def num(value: Decimal, *sources: Any) -> int | float:
    if all(isinstance(s, int) and not isinstance(s, bool) for s in sources) and value == value.to_integral_value():
        return int(value)
    return float(value)


def add(*values: Any) -> int | float:
    with localcontext() as ctx:
        ctx.prec = 1000  # exact for any two doubles
        return num(sum((dec(v) for v in values), Decimal(0)), *values)


def sub(a: Any, b: Any) -> int | float:
    with localcontext() as ctx:
        ctx.prec = 1000
        return num(dec(a) - dec(b), a, b)


# --- helpers ---------------------------------------------------------------------------------------


def known(enum: type[StrEnum], value: Any) -> bool:
    return value in {m.value for m in enum}


def each(obj: Obj, key: str, path: str, fn: Callable[[Obj, str], Obj]) -> None:
    """Apply fn to every dict of the list obj[key] (in place); other values stay."""
    items = obj.get(key)
    if isinstance(items, list):
        obj[key] = [fn(i, f"{path}{key}[{n}].") if isinstance(i, dict) else i for n, i in enumerate(items)]


def one(obj: Obj, key: str, path: str, fn: Callable[[Obj, str], Obj]) -> None:
    if isinstance(obj.get(key), dict):
        obj[key] = fn(obj[key], f"{path}{key}.")


def refuse_unknown(obj: Obj, key: str, path: str, enum: type[StrEnum], why: str) -> None:
    value = obj.get(key)
    if value is not None and not known(enum, value):
        raise Untranslatable(f"{path}{key}", V221, f"{value!r} is no 2.2.1 {enum.__name__} value; {why}")


def keep_known(obj: Obj, key: str, enum: type[StrEnum]) -> None:
    if isinstance(obj.get(key), list):
        obj[key] = [v for v in obj[key] if known(enum, v)]


def same(obj: Obj, path: str) -> Obj:
    return obj


# PriceLimit (2.3.0) <-> Price (2.2.1): the same two amounts under other names
LIMIT_FIELDS = (("before_taxes", "excl_vat"), ("after_taxes", "incl_vat"))


def renamed(obj: Obj, pairs: tuple[tuple[str, str], ...]) -> Obj:
    """`obj` with each field `a` of `pairs` under the name `b` (a None value is dropped)."""
    out = {k: v for k, v in obj.items() if k not in {a for a, _ in pairs}}
    for a, b in pairs:
        if obj.get(a) is not None:
            out[b] = obj[a]
    return out
