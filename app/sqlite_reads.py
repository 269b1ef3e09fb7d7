"""One-hop reads from the embedded SQLite file, for the reads every chat turn pays for.

aiosqlite hands each step of a session (check-out, execute, fetch, rollback) to its
connection thread and back, and those hops cost several times the query itself
(measured: ~1 ms through a session against ~0.1 ms for one hop). A ``OneHopReader`` runs
a whole statement in one hop, on a read-only stdlib connection owned by one thread.
It only ever reads; writes keep going through SQLAlchemy and the write gate.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine


def sqlite_file_of(engine: AsyncEngine) -> str | None:
    """The engine's database file, or None for PostgreSQL or an in-memory SQLite."""
    url = make_url(str(engine.url))
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return str(Path(database).resolve())


class OneHopReader:
    def __init__(self, *, path: str, name: str) -> None:
        self._path = path
        # sqlite3 connections are not shared across threads: one thread owns this one.
        # Reads take ~0.1 ms, so one thread keeps up with the event loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._connection: sqlite3.Connection | None = None

    async def fetchall(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._fetchall, sql, tuple(parameters))

    def _fetchall(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        if self._connection is None:
            # Read-only: this path can never write, whatever a bug upstream asks of it.
            self._connection = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=30)
        # fetchall: the statement runs to completion and releases its read snapshot at once
        # (an open snapshot would hold back WAL checkpoints).
        return self._connection.execute(sql, parameters).fetchall()

    def close(self) -> None:
        def _close() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
