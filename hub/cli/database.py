"""Before a command touches the database: is it there, and at the revision this hub needs?

Only `db upgrade` and `serve` (which migrates unless --no-migrate) create a database; every other
command first checks it exists and is migrated, and says how to fix it if not, instead of creating
an empty file or failing on a missing table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hub.cli.failures import UPGRADE, CliError, database_path, explain

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["check_database"]


async def check_database(settings: Settings) -> None:
    """Raise CliError unless the database exists and is at the latest revision."""
    path = database_path(settings.database_url)
    if path is not None and not path.is_file():
        raise CliError(f"no database at {path}: run `ocpi-hub db upgrade` or `ocpi-hub serve`")

    from alembic.script import ScriptDirectory
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    import hub.db
    from hub.db.db import create_engine

    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            try:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            except DBAPIError as exc:
                if (explain(exc, settings.database_url) or "").startswith("database not migrated"):
                    raise CliError(f"database not migrated: {UPGRADE}") from None
                raise
            revisions = set(result.scalars().all())
    finally:
        await engine.dispose()
    if not revisions:
        raise CliError(f"database not migrated: {UPGRADE}")
    scripts = ScriptDirectory(str(Path(hub.db.__file__).parent / "migrations"))  # hub.db.migrate's
    heads = set(scripts.get_heads())
    if revisions == heads:
        return
    known = {script.revision for script in scripts.walk_revisions()}
    if revisions - known:
        raise CliError(
            f"database at revision {', '.join(sorted(revisions))}, newer than this ocpi-hub knows: upgrade ocpi-hub"
        )
    raise CliError(f"database not at the latest revision ({', '.join(sorted(revisions))}): {UPGRADE}")
