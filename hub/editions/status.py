"""Envelopes toward a 2.1.1 party (status codes: `hub.ocpi.envelope.v211_status`)."""

from __future__ import annotations

from typing import Any

from hub.ocpi.envelope import v211_status

__all__ = ["v211_envelope"]


def v211_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
    code = envelope.get("status_code")
    if isinstance(code, int) and v211_status(code) != code:
        return {**envelope, "status_code": v211_status(code)}
    return envelope
