"""structlog and stdlib through one processor chain: console in development, JSON in production.

Log events are constant names with fields. Never log a token, an Authorization header or a
personal identifier in clear (hash it with `hub.observability.logging.fingerprint`).
"""

from __future__ import annotations

import hashlib
import logging
import sys

import orjson
import structlog

__all__ = ["configure_logging", "fingerprint", "module_path"]


def fingerprint(value: str) -> str:
    """A short stable hash for ids that are personal data (token uids, contract ids)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def module_path(path: str) -> str:
    """`/ocpi/2.2.1/sender/locations` of any deeper path: deeper segments may be personal ids."""
    return "/".join(path.split("/")[:5])


def configure_logging(*, level: str = "INFO", fmt: str = "console") -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if fmt == "json":
        # orjson renders bytes; BytesLogger writes them without a decode/encode round trip.
        renderer: structlog.types.Processor = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        factory: structlog.types.WrappedLogger = structlog.BytesLoggerFactory(sys.stderr.buffer)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        factory = structlog.PrintLoggerFactory(sys.stderr)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
