"""structlog and stdlib through one configuration: console in development, JSON in production.

Log events are constant names with fields. Secrets and personal data never reach a log line:

- `redact` (a processor, last before rendering) replaces the values of secret keys
  (`authorization`, `token`, `token_a`, `password`, `body`, `parameters` ...) with "[redacted]" and
  those of personal keys (`uid`, `contract_id`, `visual_number`, `auth_id`, `email` ...) with their
  keyed short hash, at any depth. It is the safety net; code logs `fingerprint(uid)` itself.
- `fingerprint` is an HMAC under a key derived from `secret_key` (so a log reader cannot hash
  candidate uids to find one), truncated to 12 hex digits: enough to follow one token through the
  logs, useless to recover it. Without a `secret_key` the process uses a random key.
- The stdlib loggers of the database drivers, SQLAlchemy and the HTTP servers and clients stay at
  WARNING whatever the level: at DEBUG they print SQL parameters and request paths (which carry
  token uids). The engine also hides parameters from its errors (`hub.db.db`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

from hub.token_vault import derive_key

__all__ = ["configure_logging", "fingerprint", "log_key", "module_path", "redact"]

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "authorization",
        "token",
        "token_a",
        "token_b",
        "token_c",
        "credentials_token",
        "password",
        "secret",
        "secret_key",
        "previous_secret_keys",
        "operator_token",
        "api_key",
        "body",
        "request_body",
        "response_body",
        "parameters",
        "params",
        "sql_parameters",
    }
)
PERSONAL_KEYS = frozenset(
    {
        "uid",
        "token_uid",
        "contract_id",
        "visual_number",
        "auth_id",
        "authorization_reference",
        "email",
        "cdr_token",
        "license_plate",
    }
)
# At DEBUG these print SQL with its parameters, or request lines with personal ids in the path.
QUIET_LOGGERS = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "aiohttp",
    "uvicorn.access",
    "httpx",
    "httpcore",
    "hpack",
)
_MAX_DEPTH = 6
_LABEL = b"ocpi-hub log pseudonym"
_key = os.urandom(32)


def log_key(secret_key: str) -> bytes:
    """The key of `fingerprint` for a hub with this `secret_key` (the same in every process)."""
    return derive_key(secret_key, _LABEL)


def fingerprint(value: str, *, key: bytes | None = None) -> str:
    """A short keyed hash for ids that are personal data (token uids, contract ids)."""
    return hmac.new(key or _key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def module_path(path: str) -> str:
    """`/ocpi/2.2.1/sender/locations` of any deeper path: deeper segments may be personal ids."""
    return "/".join(path.split("/")[:5])


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: no secret, and no personal id in clear, in any event field."""
    for name, value in event.items():
        event[name] = _clean(name, value, 0)
    return event


def _clean(name: str, value: Any, depth: int) -> Any:
    key = name.lower().replace("-", "_") if isinstance(name, str) else ""
    if value is None:
        return None
    if key in SECRET_KEYS:
        return REDACTED
    if key in PERSONAL_KEYS:
        text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
        return "~" + fingerprint(text)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {k: _clean(k, v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(name, v, depth + 1) if isinstance(v, dict | list | tuple) else v for v in value]
    return value


def configure_logging(*, level: str = "INFO", fmt: str = "console", secret_key: str | None = None) -> None:
    global _key
    _key = log_key(secret_key) if secret_key else _key
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
        processors=[*shared, redact, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
