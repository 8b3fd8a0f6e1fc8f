"""OCPI 2.1.1 basic types (types.md): strings are printable ASCII (1.5), DateTime as in 2.2.1
without fractional seconds in the examples (1.2; fractions are accepted: ISO 8601 allows them)."""

from __future__ import annotations

from typing import Annotated

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import AsciiString

__all__ = ["DisplayText"]


class DisplayText(OcpiModel):
    """types.md 1.3, DisplayText class."""

    language: Annotated[str, AsciiString(2)]
    text: Annotated[str, AsciiString(512)]
