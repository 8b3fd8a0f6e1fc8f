"""Apply Alembic migrations programmatically (`ocpi-hub db upgrade`, `ocpi-hub serve`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from hub.db.db import create_engine, is_sqlite
from hub.settings import Settings

__all__ = ["upgrade"]

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(settings: Settings, revision: str = "head") -> None:
    engine = create_engine(settings)
    try:
        if settings.database_schema and not is_sqlite(settings.database_url):
            async with engine.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.database_schema}"'))
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), revision))
    finally:
        await engine.dispose()
