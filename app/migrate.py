"""Running Alembic from code (`candor migrate`, `candor serve` on the embedded default)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from app.db import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


async def upgrade(database_url: str, revision: str = "head") -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_sync, database_url, revision)
    finally:
        await engine.dispose()


def _upgrade_sync(connection: Connection, database_url: str, revision: str) -> None:
    config = alembic_config(database_url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def downgrade(database_url: str, revision: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_sync, database_url, revision)
    finally:
        await engine.dispose()


def _downgrade_sync(connection: Connection, database_url: str, revision: str) -> None:
    config = alembic_config(database_url)
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def upgrade_blocking(database_url: str) -> None:
    asyncio.run(upgrade(database_url))
