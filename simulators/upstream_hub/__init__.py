"""A simulated upstream OCPI roaming hub in Gireve's style (profile `gireve`) or per the OCPI
2.2.1 rules for chains of hubs (profile `spec`), for testing a hub that connects to it as a
platform. See `core.UpstreamHub` (the hub), `config.HubConfig` (the knobs), `parties` (the
CPOs and eMSPs behind it, driven by tests) and `journal.Journal` (every message)."""

from simulators.upstream_hub.config import CpoSpec, EmspSpec, HubConfig, Operator, Rejection
from simulators.upstream_hub.core import Connection, Refused, UpstreamHub
from simulators.upstream_hub.faults import HubFaults
from simulators.upstream_hub.journal import Journal, JournalEntry
from simulators.upstream_hub.parties import BehindCpo, BehindEmsp

__all__ = [
    "BehindCpo",
    "BehindEmsp",
    "Connection",
    "CpoSpec",
    "EmspSpec",
    "HubConfig",
    "HubFaults",
    "Journal",
    "JournalEntry",
    "Operator",
    "Refused",
    "Rejection",
    "UpstreamHub",
]
