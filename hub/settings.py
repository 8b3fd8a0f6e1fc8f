"""One typed, frozen settings object: defaults < TOML file < `HUB_*` environment < explicit overrides.

Every key is documented, with its default, in `config/hub.example.toml` and `docs/configuration.md`.
The environment name of a key is `HUB_` plus the key in upper case (`HUB_DATABASE_URL`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.ingress.ratelimit import parse_overrides
from hub.types import Role

__all__ = ["DEFAULT_SECRET", "Settings", "load_settings"]

DEFAULT_SECRET = "dev-secret-change-me"
_ENV_PREFIX = "HUB_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=_ENV_PREFIX, frozen=True, extra="forbid")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    public_url: str = "http://127.0.0.1:8080"

    database_url: str = "sqlite+aiosqlite:///./var/hub.db"
    database_schema: str | None = None
    migrate_on_start: bool = True

    secret_key: str = DEFAULT_SECRET

    country_code: str = Field("NL", min_length=2, max_length=2)
    party_id: str = Field("HUB", min_length=3, max_length=3)
    business_name: str = Field("OCPI Hub", max_length=100)
    business_website: str | None = None

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    cache_ttl_seconds: float = Field(30.0, gt=0)
    cache_negative_ttl_seconds: float = Field(2.0, gt=0)
    cache_max_entries: int = Field(100_000, ge=100)
    registry_poll_seconds: float = Field(1.0, gt=0)
    degraded_max_seconds: float = Field(300.0, ge=0)

    accept_raw_tokens: bool = False
    required_endpoints: tuple[str, ...] = ("credentials",)

    request_timeout_seconds: float = Field(10.0, gt=0)
    connect_timeout_seconds: float = Field(5.0, gt=0)
    pool_per_platform: int = Field(64, ge=1)
    pool_total: int = Field(1024, ge=1)
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    max_header_bytes: int = Field(16_384, ge=1024)
    max_query_params: int = Field(64, ge=4)
    page_limit: int = Field(100, ge=1, le=10_000)
    proxy_url_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)

    platforms_file: str | None = None

    # Payload validation (hub.validation): default mode, and per "platform:module" / "platform:*" / "*:module".
    validation_mode: Literal["strict", "warn", "off"] = "warn"
    validation_overrides: dict[str, Literal["strict", "warn", "off"]] = Field(default_factory=dict)

    breaker_fail_max: int = Field(5, ge=1)
    breaker_reset_seconds: float = Field(30.0, gt=0)
    unreachable_offline_seconds: float = Field(30.0, ge=0)
    route_hold_down_seconds: float = Field(300.0, ge=0)
    shutdown_grace_seconds: float = Field(10.0, gt=0)

    agreements_default: Literal["open", "closed"] = "open"
    broadcast_extra_roles: tuple[Role, ...] = ()
    outbox_max_attempts: int = Field(10, ge=1)
    outbox_backoff_seconds: float = Field(1.0, gt=0)
    outbox_backoff_max_seconds: float = Field(300.0, gt=0)
    outbox_retention_days: float = Field(7.0, gt=0)
    dispatcher_poll_seconds: float = Field(0.5, gt=0)
    dispatcher_concurrency: int = Field(64, ge=1)
    still_alive_seconds: float = Field(300.0, gt=0)
    liveness_check_seconds: float = Field(30.0, gt=0)

    # Outbound policy (hub.egress): which URLs the hub may call.
    outbound_allow_loopback: bool = False
    outbound_allowed_networks: tuple[str, ...] = ()
    # Slow and many clients (hub.server).
    header_timeout_seconds: float = Field(10.0, gt=0)
    body_timeout_seconds: float = Field(30.0, gt=0)
    keepalive_timeout_seconds: float = Field(5.0, gt=0)
    max_connections: int = Field(1000, ge=1)
    busy_retry_after_seconds: int = Field(1, ge=1)
    max_json_depth: int = Field(32, ge=4, le=256)
    # Rate limits per platform and module (token bucket, per process); 0 = unlimited.
    rate_limit_per_second: float = Field(200.0, ge=0)
    rate_limit_burst: int = Field(400, ge=1)
    rate_limit_overrides: dict[str, str] = Field(default_factory=dict)
    # TLS (hub.server, hub.egress).
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    tls_client_ca_file: str | None = None
    outbound_ca_file: str | None = None
    outbound_client_cert_file: str | None = None
    outbound_client_key_file: str | None = None
    # Secrets and privacy.
    previous_secret_keys: tuple[str, ...] = ()
    operator_token: str | None = None
    retention_sessions_days: float = Field(90.0, ge=0)
    retention_cdrs_days: float = Field(400.0, ge=0)

    @field_validator("country_code", "party_id")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("rate_limit_overrides")
    @classmethod
    def _check_rate_limits(cls, value: dict[str, str]) -> dict[str, str]:
        parse_overrides(value)  # "platform:module" -> "RATE/BURST" | "off"; a typo stops the hub at start
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("secret_key: set HUB_SECRET_KEY; the default is refused in production")
        if len(self.secret_key) < 16:
            raise ValueError("secret_key must be at least 16 characters")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        if (self.outbound_client_cert_file is None) != (self.outbound_client_key_file is None):
            raise ValueError("outbound_client_cert_file and outbound_client_key_file go together")
        return self

    @property
    def hub_role(self) -> Role:
        return Role.HUB

    @property
    def versions_url(self) -> str:
        return f"{self.public_url}/ocpi/versions"


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Read `config_file` (or `$HUB_CONFIG`), let `HUB_*` variables win over it, then overrides."""
    path = config_file or os.environ.get(f"{_ENV_PREFIX}CONFIG")
    values: dict[str, Any] = {}
    if path:
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
    for key in list(values):
        if f"{_ENV_PREFIX}{key.upper()}" in os.environ:
            del values[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
