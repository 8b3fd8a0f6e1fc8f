"""What goes wrong for an operator, said in one line with the fix, instead of a traceback.

`CliError` is a mistake the CLI recognised itself; `explain()` turns the exceptions that reach the
top (the database away, missing, not migrated, a malformed URL, a file that cannot be read, an
OCPI-level refusal) into one line. Whatever it cannot explain is still reported in one line, with
`--traceback` to see the rest: never silently swallowed.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["CliError", "database_path", "explain", "safe_url"]

UPGRADE = "run `ocpi-hub db upgrade`"
_SUPPORTED = {("sqlite", "aiosqlite"), ("postgresql", "asyncpg")}
URL_FORMS = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE"


class CliError(Exception):
    """A mistake with its fix, printed as `ocpi-hub: MESSAGE`, exit `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def safe_url(url: str) -> str:
    """The database URL without its password."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def database_path(url: str) -> Path | None:
    """The file of an SQLite URL (None: not SQLite, or in memory). Raises CliError if malformed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CliError(f"malformed database URL {safe_url(url)!r}: use {URL_FORMS}") from None
    if (parsed.get_backend_name(), parsed.get_driver_name()) not in _SUPPORTED:
        raise CliError(f"unsupported database URL {safe_url(url)!r}: use {URL_FORMS}")
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def explain(exc: BaseException, database_url: str | None) -> str | None:
    """One line for an exception an operator can fix, or None when it looks like a bug."""
    from hub.errors import InvalidParameters, OcpiError

    if isinstance(exc, CliError | InvalidParameters):  # the operator's own mistake: the message says it
        return str(exc.message)
    if isinstance(exc, OcpiError):
        return f"{exc.message} (OCPI status {exc.status_code})"
    where = safe_url(database_url) if database_url else "the database"
    chain = _chain(exc)
    names = set().union(*(_names(e) for e in chain))
    text = " ".join(str(e) for e in chain)
    lowered = text.lower()
    if names & {"ArgumentError", "NoSuchModuleError"} and database_url is not None:
        return f"malformed database URL {where!r}: use {URL_FORMS}"
    if "InvalidCatalogNameError" in names or re.search(r'database "[^"]+" does not exist', text):
        return f"database missing at {where}: create it (e.g. `createdb NAME`), then {UPGRADE}"
    if (
        "UndefinedTableError" in names
        or "no such table" in lowered
        or re.search(r'relation "[^"]+" does not exist', text)
    ):
        return f"database not migrated: {UPGRADE}"
    if "InvalidSchemaNameError" in names or re.search(r'schema "[^"]+" does not exist', text):
        return f"database not migrated (schema missing): {UPGRADE}"
    if "InvalidPasswordError" in names or "password authentication failed" in lowered:
        return f"database refused the login at {where}: check the user and password in database_url"
    if "unable to open database file" in lowered:
        return f"cannot open the SQLite database at {where}: check the path and its permissions"
    if "readonly database" in lowered or ("read-only" in lowered and "database" in lowered):
        return f"the SQLite database at {where} is read-only: check its permissions"
    connection = {"ConnectionError", "ConnectionRefusedError", "OperationalError", "InterfaceError", "gaierror"}
    if names & connection or (names & {"OSError", "TimeoutError"} and "DBAPIError" in names):
        reason = _reason(chain)
        return f"database unreachable at {where}: {reason}; check database_url and that the server is running"
    if names & {"TimeoutError"} and database_url is not None and "sqlalchemy" in _modules(chain):
        return f"database unreachable at {where}: timed out; check database_url and that the server is running"
    return None


def _modules(chain: list[BaseException]) -> str:
    return " ".join(type(e).__module__ for e in chain)


def _reason(chain: list[BaseException]) -> str:
    """The innermost message that says something (the driver's, not SQLAlchemy's wrapper)."""
    for exc in reversed(chain):
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if message:
            return re.sub(r"\s*\(Background on this error at: [^)]*\)", "", message)[:200]
    return type(chain[-1]).__name__
