"""The one failure of the OCPI <-> OICP bridge: a value that has no faithful form on the other side.

The adapter answers it with OCPI 2001 "... cannot be carried to OICP: <field> ...", so the message
always starts with the field (OCPI or OICP spelling) that could not be carried.
"""

from __future__ import annotations

__all__ = ["InvalidId", "Unmappable"]


class Unmappable(ValueError):
    """`field` cannot be carried to the other protocol, for `reason`."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class InvalidId(Unmappable):
    """An identifier that breaks the OICP 2.3 / eMI3 format of its kind (oicp-bridge.md §6)."""

    def __init__(self, field: str, value: str, kind: str) -> None:
        self.value = value
        super().__init__(field, f"{value!r} is not a valid OICP {kind}")
