"""Migrations: the schema comes up from nothing, goes back down to nothing, and up again.

Sync tests: ``fresh_database`` runs its own event loops, so the async parts use asyncio.run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.db import create_engine
from app.migrate import alembic_config, downgrade, upgrade
from app.models import Base
from tests.conftest import fresh_database

EXPECTED_TABLES = {"tenants", "api_keys", "policy_versions", "conversations", "messages", "audit_events"}


def _tables_and_revision(connection: Connection) -> tuple[set[str], str | None]:
    tables = set(inspect(connection).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return tables - {"alembic_version"}, revision


async def _inspect(url: str) -> tuple[set[str], str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_tables_and_revision)
    finally:
        await engine.dispose()


def test_upgrade_creates_every_table_of_the_models(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        tables, revision = asyncio.run(_inspect(url))

    assert EXPECTED_TABLES <= tables
    # Every model has a migration behind it, and nothing else was created.
    assert tables == set(Base.metadata.tables)
    assert revision is not None


def test_migrations_are_reversible(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        _, head = asyncio.run(_inspect(url))

        asyncio.run(downgrade(url, "base"))
        after_downgrade, revision = asyncio.run(_inspect(url))
        asyncio.run(upgrade(url))
        after_upgrade, again = asyncio.run(_inspect(url))

    assert after_downgrade == set()
    assert revision is None
    assert after_upgrade == set(Base.metadata.tables)
    assert again == head


def test_upgrading_twice_changes_nothing(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        before = asyncio.run(_inspect(url))
        asyncio.run(upgrade(url))
        after = asyncio.run(_inspect(url))

    assert before == after


def test_each_revision_steps_down_and_up(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = [revision.revision for revision in script.walk_revisions()]  # head first
    with fresh_database(tmp_path) as url:
        seen = [asyncio.run(_inspect(url))[1]]
        for _ in revisions:
            asyncio.run(downgrade(url, "-1"))
            seen.append(asyncio.run(_inspect(url))[1])
        for _ in revisions:
            asyncio.run(upgrade(url, "+1"))
        final = asyncio.run(_inspect(url))

    assert seen == [*revisions, None]
    assert final == (set(Base.metadata.tables), revisions[0])
