"""OCPI toward an upstream OCPI hub: the `spec` profile (a hub that follows OCPI's rules for chains
of hubs, such as another hub of this project) and the `gireve` profile (upstream-ocpi-hub.md)."""

from adapters.ocpi_upstream.adapter import OcpiUpstreamAdapter
from adapters.ocpi_upstream.quality import quality_problems

__all__ = ["OcpiUpstreamAdapter", "quality_problems"]
