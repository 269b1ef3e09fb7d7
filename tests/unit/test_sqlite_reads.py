"""The fast SQLite reader: answers on the event loop, and when SQLite is busy, waits for
the lock on its own thread instead of failing or blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from app.sqlite_reads import SqliteReader


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "reads.db"
    with sqlite3.connect(path) as connection:
        # A rollback journal (not WAL), so that a writer's exclusive lock blocks readers.
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        connection.execute("INSERT INTO t VALUES (1, 'one')")
    connection.close()
    return path


async def test_reads_on_the_loop(database: Path) -> None:
    reader = SqliteReader(path=str(database), name="test-reads")
    try:
        assert await reader.fetchall("SELECT v FROM t WHERE id = ?", [1]) == [("one",)]
        assert await reader.fetchall("SELECT v FROM t WHERE id = ?", [2]) == []
    finally:
        reader.close()


async def test_a_busy_database_is_waited_for_off_the_loop(database: Path) -> None:
    reader = SqliteReader(path=str(database), name="test-reads")
    writer = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("UPDATE t SET v = 'uno' WHERE id = 1")
        read = asyncio.create_task(reader.fetchall("SELECT v FROM t WHERE id = ?", [1]))
        # The loop is free meanwhile (this sleep returns) while the read waits for the lock.
        await asyncio.sleep(0.2)
        assert not read.done()
        writer.execute("COMMIT")
        assert await asyncio.wait_for(read, timeout=10) == [("uno",)]
    finally:
        writer.close()
        reader.close()


async def test_the_reader_cannot_write(database: Path) -> None:
    reader = SqliteReader(path=str(database), name="test-reads")
    try:
        with pytest.raises(sqlite3.OperationalError):
            await reader.fetchall("DELETE FROM t", [])
    finally:
        reader.close()
