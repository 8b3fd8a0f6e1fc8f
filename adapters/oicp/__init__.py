"""The OCPI 2.2.1 <-> OICP 2.3 bridge (Hubject style, oicp-bridge.md): pure translations, no I/O.

`models` holds the OICP payloads, `ids` the identifier rules, `status` the status-code mapping and
`mapping` every payload translation; anything that cannot cross raises `Unmappable`.
"""

from adapters.oicp.errors import InvalidId, Unmappable
from adapters.oicp.mapping import EvseRecordConfig, LocationBatch
from adapters.oicp.models import wire
from adapters.oicp.status import OcpiOutcome, OicpCode, ocpi_outcome

__all__ = [
    "EvseRecordConfig",
    "InvalidId",
    "LocationBatch",
    "OcpiOutcome",
    "OicpCode",
    "Unmappable",
    "ocpi_outcome",
    "wire",
]
