"""Settings for a CLI run: the file and environment, the command-line overrides, and two defaults
that depend on where and how the hub runs (docs/configuration.md):

- database_url, when not set anywhere: SQLite in the data directory, `$XDG_DATA_HOME/ocpi-hub/hub.db`
  (`~/.local/share/ocpi-hub/hub.db`), whatever the current directory;
- public_url, when not set anywhere: derived from host and port (https when the hub serves TLS).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.cli.failures import CliError

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["data_dir", "derived_public_url", "load"]

_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}


def data_dir() -> Path:
    """Where the hub keeps its default SQLite database: `$XDG_DATA_HOME/ocpi-hub`, else
    `~/.local/share/ocpi-hub` (created only by commands that write: `db upgrade`, `serve`)."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    if base and Path(base).is_absolute():
        return Path(base) / "ocpi-hub"
    try:
        return Path.home() / ".local" / "share" / "ocpi-hub"
    except RuntimeError:
        raise CliError("no home directory to keep the database in: set database_url (HUB_DATABASE_URL)") from None


def derived_public_url(host: str, port: int, *, tls: bool) -> str:
    """`http://HOST:PORT`; an any-address host (0.0.0.0, ::) becomes 127.0.0.1."""
    host = "127.0.0.1" if host.strip() in _ANY_ADDRESS else host.strip()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}"


def load(config_file: str | None, overrides: dict[str, Any]) -> Settings:
    """Settings as the CLI uses them; CliError (exit 2) when the file or a value is wrong."""
    import tomllib

    from pydantic import ValidationError

    from hub.settings import load_settings

    try:
        settings = load_settings(config_file, **overrides)
    except FileNotFoundError as exc:
        raise CliError(f"config file {exc.filename or config_file!r} does not exist", code=2) from None
    except OSError as exc:
        raise CliError(f"config file {exc.filename or config_file!r} cannot be read: {exc.strerror}", code=2) from None
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"config file {config_file or '$HUB_CONFIG'!r} is not valid TOML: {exc}", code=2) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) + ': ' if error['loc'] else ''}{error['msg']}"
            for error in exc.errors()
        )
        raise CliError(f"invalid settings: {problems}", code=2) from None
    except (TypeError, ValueError) as exc:
        raise CliError(f"invalid settings: {exc}", code=2) from None
    update: dict[str, Any] = {}
    if "database_url" not in settings.model_fields_set:
        update["database_url"] = f"sqlite+aiosqlite:///{data_dir() / 'hub.db'}"
    if "public_url" not in settings.model_fields_set:
        update["public_url"] = derived_public_url(settings.host, settings.port, tls=settings.tls_cert_file is not None)
    return settings.model_copy(update=update) if update else settings
