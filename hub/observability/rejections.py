"""Requests the hub refused, counted by reason (OCPI status code and error kind) and logged as one
`request_rejected` event each, so an operator sees who sends what kind of bad input. The message
logged is the one the caller got: it names what was wrong and never carries a token or a body."""

from __future__ import annotations

from collections import Counter

import structlog

from hub.errors import OcpiError
from hub.observability.logging import module_path

__all__ = ["Rejections"]

_log = structlog.get_logger("hub.rejected")


class Rejections:
    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def note(self, error: OcpiError, *, path: str) -> None:
        reason = f"{error.status_code}:{type(error).__name__}"
        self._counts[reason] += 1
        _log.info(
            "request_rejected",
            reason=reason,
            http_status=error.http_status,
            path=module_path(path),
            message=error.message,
        )

    def counts(self) -> dict[str, int]:
        return dict(self._counts)
