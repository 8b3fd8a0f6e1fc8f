# mypy: disable-error-code="assignment"
# (2.3.0 classes subclass their 2.2.1 counterparts and redeclare the fields whose type changed)
"""OCPI 2.3.0 Versions module objects (2.3.0 version_information_endpoint.asciidoc): VersionNumber
and ModuleID are OpenEnums."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hub.ocpi.models.types import OpenEnum
from hub.ocpi.models.v221 import versions as v221
from hub.ocpi.models.v221.versions import Endpoint

__all__ = ["Endpoint", "Version", "VersionDetails"]


class Version(v221.Version):
    """version_information_endpoint.asciidoc, Version class."""

    version: OpenEnum


class VersionDetails(v221.VersionDetails):
    """version_information_endpoint.asciidoc, version details data."""

    version: OpenEnum
    endpoints: Annotated[list[Endpoint], Field(min_length=1)]
