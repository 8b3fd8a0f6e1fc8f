"""OCPI toward an upstream OICP 2.3 hub (Hubject style): the transport of the OICP bridge, over the
pure mapping library `adapters.oicp` (oicp-bridge.md). See `adapter` for what is carried."""

from adapters.oicp_upstream.adapter import OicpUpstreamAdapter
from adapters.oicp_upstream.correlation import Correlation
from adapters.oicp_upstream.directory import StoreDirectory

__all__ = ["Correlation", "OicpUpstreamAdapter", "StoreDirectory"]
