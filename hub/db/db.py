"""Engine and sessions from settings: `sqlite+aiosqlite` (default) or `postgresql+asyncpg`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.settings import Settings

__all__ = [
    "STORAGE_ERRORS",
    "SessionFactory",
    "create_engine",
    "in_transaction",
    "is_sqlite",
    "session_factory",
    "session_scope",
]

SessionFactory = async_sessionmaker[AsyncSession]
T = TypeVar("T")

# What the database being away looks like: SQLAlchemy's errors (the driver's wrapped), a refused
# or broken connection, a timeout. Background loops catch these and try again; anything else is a
# bug and ends the task loudly.
STORAGE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, TimeoutError)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    # No SQL parameters (token uids, contract ids) in errors or logs, whatever the log level.
    kwargs: dict[str, Any] = {"pool_pre_ping": False, "hide_parameters": True, "echo": False}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    elif settings.database_schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": settings.database_schema}}
        kwargs["pool_size"] = 10
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any exception."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def in_transaction(factory: SessionFactory, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one transaction, run a second time in a fresh one if the first lost an insert race
    (IntegrityError: another writer inserted the same unique row first, and committed). The second
    run sees that row and updates it; a second conflict is a real error and is raised."""
    try:
        async with session_scope(factory) as session:
            return await work(session)
    except IntegrityError:
        async with session_scope(factory) as session:
            return await work(session)
