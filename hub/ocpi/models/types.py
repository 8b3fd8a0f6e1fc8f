"""OCPI's basic types (2.2.1 types.asciidoc; 2.1.1 types.md; 2.3.0 types.asciidoc).

Scalars, as annotated `str`/`int`/`float`/`bool` types that pydantic checks in Rust (a sized
string is written `Annotated[str, CiString(36)]`):

| spec type      | here                | rule                                                            |
|----------------|---------------------|-----------------------------------------------------------------|
| CiString(n)    | `CiString(n)`       | printable ASCII (0x20-0x7E), at most n characters               |
| string(n)      | `String(n)`         | printable UTF-8 (no C0/C1 control characters), at most n        |
| string (2.1.1) | `AsciiString(n)`    | 2.1.1 strings are printable ASCII only (types.md 1.5)           |
| DateTime       | `DateTime`          | string(25), RFC 3339 in UTC: `Z` or no designator, optional     |
|                |                     | fractional seconds, no offsets ("+00:00 is not the same as UTC") |
| URL            | `URL`               | string(255)                                                     |
| number         | `Number`            | a JSON number (int or float), never a bool or a string          |
| int            | `Int`               | a JSON integer                                                  |
| boolean        | `Boolean`           | true / false                                                    |
| OpenEnum (2.3) | `OpenEnum`          | any printable string: known values are advice, not a limit      |
| HH:MM / date   | `TimeOfDay`, `Date` | RegularHours and TariffRestrictions times and dates (regex)     |

Classes shared by 2.2.1 and 2.3.0: `DisplayText`, and the 2.2.1 `Price` and `Role`
(2.3.0 replaces Price and narrows Role: `hub.ocpi.models.v230.types`). `Role` is the hub's
one Role enum (`hub.types.Role`), re-exported here.

The regular expressions below are also the keys `hub.validation` uses to explain a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, Strict, StrictBool, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError, core_schema

from hub.ocpi.models.base import OcpiModel
from hub.types import Role

__all__ = [
    "ASCII_PATTERN",
    "AsciiString",
    "Boolean",
    "CiString",
    "DATETIME_PATTERN",
    "DATE_PATTERN",
    "Date",
    "DateTime",
    "DisplayText",
    "Int",
    "LATITUDE_PATTERN",
    "LATITUDE_PATTERN_211",
    "LONGITUDE_PATTERN",
    "LONGITUDE_PATTERN_211",
    "Number",
    "OneOf",
    "OpenEnum",
    "PATTERN_RULES",
    "PRINTABLE_PATTERN",
    "Price",
    "Role",
    "String",
    "TIME_OF_DAY_PATTERN",
    "TimeOfDay",
    "URL",
]

ASCII_PATTERN = r"^[\x20-\x7E]*$"
PRINTABLE_PATTERN = r"^[^\x00-\x1F\x7F-\x9F]*$"
# types.asciidoc, DateTime: the only allowed forms are YYYY-MM-DDThh:mm:ss[.f...][Z]
DATETIME_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?Z?$"
)
# mod_locations.asciidoc, RegularHours / mod_tariffs.asciidoc, TariffRestrictions
TIME_OF_DAY_PATTERN = r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$"
DATE_PATTERN = r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# mod_locations.asciidoc, GeoLocation (2.2.1: 5 to 7 decimals; 2.1.1 mod_locations.md 4.12: 6)
LATITUDE_PATTERN = r"^-?[0-9]{1,2}\.[0-9]{5,7}$"
LONGITUDE_PATTERN = r"^-?[0-9]{1,3}\.[0-9]{5,7}$"
LATITUDE_PATTERN_211 = r"^-?[0-9]{1,2}\.[0-9]{6}$"
LONGITUDE_PATTERN_211 = r"^-?[0-9]{1,3}\.[0-9]{6}$"

PATTERN_RULES: dict[str, tuple[str, str]] = {
    ASCII_PATTERN: ("ascii", "must be printable ASCII"),
    PRINTABLE_PATTERN: ("printable", "must not contain control characters"),
    DATETIME_PATTERN: ("datetime", "not a valid DateTime (RFC 3339 in UTC, e.g. 2015-06-29T20:39:09Z)"),
    TIME_OF_DAY_PATTERN: ("time_of_day", "not a valid time of day (HH:MM, 00:00-23:59)"),
    DATE_PATTERN: ("date", "not a valid date (YYYY-MM-DD)"),
    LATITUDE_PATTERN: ("latitude", "not a valid latitude (-?[0-9]{1,2}.[0-9]{5,7})"),
    LONGITUDE_PATTERN: ("longitude", "not a valid longitude (-?[0-9]{1,3}.[0-9]{5,7})"),
    LATITUDE_PATTERN_211: ("latitude", "not a valid latitude (-?[0-9]{1,2}.[0-9]{6})"),
    LONGITUDE_PATTERN_211: ("longitude", "not a valid longitude (-?[0-9]{1,3}.[0-9]{6})"),
}


def CiString(length: int | None = None) -> StringConstraints:  # noqa: N802 - named for the spec type
    """`Annotated[str, CiString(36)]`: CiString(36), printable ASCII of at most 36 characters."""
    return StringConstraints(strict=True, max_length=length, pattern=ASCII_PATTERN)


def String(length: int | None = None) -> StringConstraints:  # noqa: N802
    """`Annotated[str, String(255)]`: string(255), printable UTF-8 of at most 255 characters."""
    return StringConstraints(strict=True, max_length=length, pattern=PRINTABLE_PATTERN)


def AsciiString(length: int | None = None) -> StringConstraints:  # noqa: N802
    """2.1.1 string(n) (types.md 1.5): printable ASCII only, case-sensitive."""
    return StringConstraints(strict=True, max_length=length, pattern=ASCII_PATTERN)


DateTime = Annotated[str, Strict(), Field(max_length=25, pattern=DATETIME_PATTERN)]
URL = Annotated[str, Strict(), Field(max_length=255, pattern=PRINTABLE_PATTERN)]
Number = Annotated[float, Strict()]
Int = StrictInt
Boolean = StrictBool
OpenEnum = Annotated[str, Strict(), Field(pattern=PRINTABLE_PATTERN)]
TimeOfDay = Annotated[str, Strict(), Field(max_length=5, pattern=TIME_OF_DAY_PATTERN)]
Date = Annotated[str, Strict(), Field(max_length=10, pattern=DATE_PATTERN)]


class DisplayText(OcpiModel):
    """types.asciidoc, DisplayText class: a text in one language."""

    language: Annotated[str, String(2)]
    text: Annotated[str, String(512)]


class Price(OcpiModel):
    """types.asciidoc, Price class (2.2.1; 2.3.0 has before_taxes/taxes)."""

    excl_vat: Number
    incl_vat: Number | None = None


@dataclass(frozen=True, slots=True)
class OneOf:
    """`Annotated[SomeEnum, OneOf(members)]`: the enum narrowed to `members` (2.3.0's Role is
    2.2.1's without HUB). A value outside them is refused as the narrower enum would refuse it:
    an `enum` error listing the members, so the explanation ("not a valid Role") is unchanged."""

    members: tuple[Enum, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self._checker(), handler(source))

    def _checker(self) -> Callable[[Any], Any]:
        allowed = frozenset(member.value for member in self.members)
        values = [repr(member.value) for member in self.members]
        expected = values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"

        def check(value: Any) -> Any:
            if isinstance(value, Enum):
                value = value.value
            if not isinstance(value, str) or value not in allowed:
                raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})
            return value

        return check
