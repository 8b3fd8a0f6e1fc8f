"""OCPI 2.1.1 Versions module objects (version_information_endpoint.md): no interface roles."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, AsciiString
from hub.ocpi.models.v211.enums import VersionNumber

__all__ = ["Endpoint", "Version", "VersionDetails"]


class Version(OcpiModel):
    """version_information_endpoint.md, Version class."""

    version: VersionNumber
    url: URL


class Endpoint(OcpiModel):
    """version_information_endpoint.md, Endpoint class (identifier: a ModuleID or a custom module)."""

    identifier: Annotated[str, AsciiString(255)]
    url: URL


class VersionDetails(OcpiModel):
    """version_information_endpoint.md, version details data."""

    version: VersionNumber
    endpoints: Annotated[list[Endpoint], Field(min_length=1)]
