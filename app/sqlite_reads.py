"""Fast reads from the embedded SQLite file, for the reads every chat turn pays for.

aiosqlite hands each step of a session (check-out, execute, fetch, rollback) to its
connection thread and back, and those hops cost several times the query itself
(measured: ~1 ms through a session against ~0.1 ms for one hop). Even one hop costs
more than the query: a primary-key read of a page-cached file takes ~20-50 us, the hop
(and the fight for the GIL with the thread that does it) several times that. So a
``SqliteReader`` first runs the statement right on the event loop, on a read-only stdlib
connection that never waits for a lock (``timeout=0``); only when SQLite says "busy" (a
checkpoint or recovery holds the file, rare under WAL) does it take the hop to its own
thread, where the statement may wait for the lock. It only ever reads; writes keep going
through SQLAlchemy and the write gate.
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


class SqliteReader:
    def __init__(self, *, path: str, name: str) -> None:
        self._path = path
        # sqlite3 connections are not shared across threads: one thread owns this one.
        # Reads take ~0.1 ms, so one thread keeps up with the event loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._connection: sqlite3.Connection | None = None  # the thread's
        self._on_loop: sqlite3.Connection | None = None  # the event loop's

    async def fetchall(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        parameters = tuple(parameters)
        try:
            if self._on_loop is None:
                self._on_loop = self._connect(timeout_s=0)
            return _run(self._on_loop, sql, parameters)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._fetchall_waiting, sql, parameters)

    def _fetchall_waiting(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        if self._connection is None:
            self._connection = self._connect(timeout_s=30)
        return _run(self._connection, sql, parameters)

    def _connect(self, *, timeout_s: float) -> sqlite3.Connection:
        # Read-only: this path can never write, whatever a bug upstream asks of it.
        # The event loop's connection is only ever used on the loop; it may be closed from
        # another thread at shutdown.
        return sqlite3.connect(
            f"file:{self._path}?mode=ro", uri=True, timeout=timeout_s, check_same_thread=False
        )

    def close(self) -> None:
        def _close() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
        if self._on_loop is not None:
            self._on_loop.close()
            self._on_loop = None


def _run(connection: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
    # fetchall: the statement runs to completion and releases its read snapshot at once
    # (an open snapshot would hold back WAL checkpoints).
    return connection.execute(sql, parameters).fetchall()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)
