"""OCPI 2.2.1 Versions module objects (version_information_endpoint.asciidoc)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.base import OcpiModel
from hub.ocpi.models.types import URL, String
from hub.ocpi.models.v221.enums import InterfaceRole, VersionNumber

__all__ = ["Endpoint", "Version", "VersionDetails"]


class Version(OcpiModel):
    """version_information_endpoint.asciidoc, Version class (the versions list holds one or more)."""

    version: VersionNumber
    url: URL


class Endpoint(OcpiModel):
    """version_information_endpoint.asciidoc, Endpoint class. `identifier` is a ModuleID or a
    custom module's identifier (same file, "Custom Modules"), so any string."""

    identifier: Annotated[str, String(255)]
    role: InterfaceRole
    url: URL


class VersionDetails(OcpiModel):
    """version_information_endpoint.asciidoc, version details data."""

    version: VersionNumber
    endpoints: Annotated[list[Endpoint], Field(min_length=1)]
