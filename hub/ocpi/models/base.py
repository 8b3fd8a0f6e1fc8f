"""The base of every OCPI model, and the PATCH variant of an object.

- Unknown fields are allowed and kept (`extra="allow"`): 2.3.0 forbids rejecting them
  (2.3.0 transport_and_format.asciidoc, "Unknown fields"), and a hub must pass them through.
- Input values never appear in error texts (`hide_input_in_errors`): they may be personal.
- Scalars are strict (see `hub.ocpi.models.types`): a JSON string is not an int, a bool is not a
  number. Enumerations are validated by value.

PATCH (transport_and_format.asciidoc, PATCH; mod_locations.asciidoc, PATCH Method): every field of
the object may be absent, but a field that is present must be valid (a mandatory field may not be
null), and `last_updated` is always required. Nested objects stay complete.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo

__all__ = ["OcpiModel", "patch_of"]


class OcpiModel(BaseModel):
    """An OCPI class or object: fields per its spec table, unknown fields kept."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True, frozen=True)


_ALWAYS_REQUIRED = frozenset({"last_updated"})


def patch_of(
    model: type[OcpiModel], *, required: frozenset[str] = _ALWAYS_REQUIRED, name: str | None = None
) -> type[OcpiModel]:
    """`model` for a PATCH body (named `<Model>Patch` unless `name` says otherwise): top-level
    fields optional (types, lengths and enumerations still checked), except `required` (default:
    `last_updated`). Model-level rules are not carried over: they concern the whole object, which a
    PATCH does not carry."""
    fields: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        if field in required:
            fields[field] = (info.annotation, info)
        else:
            fields[field] = (info.annotation, FieldInfo.merge_field_infos(info, default=None))
    patched: type[OcpiModel] = create_model(
        name or f"{model.__name__}Patch",
        __base__=OcpiModel,
        __doc__=f"{model.__name__} with every field optional except {', '.join(sorted(required)) or 'none'}.",
        __module__=model.__module__,
        **fields,
    )
    return patched
