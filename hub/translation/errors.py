"""The one error of the translation layer: an OCPI 2001 naming the field that cannot cross."""

from __future__ import annotations

from hub.errors import InvalidParameters

__all__ = ["Untranslatable"]


class Untranslatable(InvalidParameters):
    """`field` (a dotted path such as `elements[0].price_components[1].type`) has no faithful form
    in OCPI `target`; the message says so to the caller."""

    def __init__(self, field: str, target: str, reason: str) -> None:
        self.field = field
        self.target = target
        super().__init__(f"{field}: cannot be sent to an OCPI {target} party: {reason}")
