"""The response envelope (2.2.1 transport_and_format.asciidoc, Response format; 2.1.1
transport_and_format.md, Response format): data, status_code, status_message, timestamp.

`envelope_of(X)` is the envelope whose `data` is one X (required), `envelope_of(X, many=True)` the
one whose `data` is a list of X (`*`: absent, null or empty is fine).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import create_model

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import DateTime, Int, String

__all__ = ["Envelope", "envelope_of"]


class Envelope(OcpiModel):
    """transport_and_format.asciidoc, Response format: `data` is `Array or Object or String`."""

    data: Any = None
    status_code: Int
    status_message: Annotated[str, String()] | None = None
    timestamp: DateTime


def envelope_of(data_type: Any, *, many: bool = False, name: str | None = None) -> type[OcpiModel]:
    """The envelope of a reply carrying `data_type` (or a list of it)."""
    label = name or getattr(data_type, "__name__", "Data")
    data: tuple[Any, Any] = (list[data_type] | None, None) if many else (data_type, ...)
    model: type[OcpiModel] = create_model(
        f"{label}{'List' if many else ''}Response",
        __base__=Envelope,
        __module__=__name__,
        data=data,
    )
    return model
