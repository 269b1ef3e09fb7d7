"""Finding a conversation by id at the start of a chat turn: the one database read that
every turn naming its conversation pays for.

On PostgreSQL this is one Core ``SELECT`` over asyncpg. On the embedded SQLite default,
aiosqlite hands each step of a session (check-out, execute, fetch, rollback) to its
connection thread and back, and those hops cost several times the query itself (measured:
~1 ms through a session against ~0.1 ms for one hop). So on a SQLite file the read is done
in one hop, on a read-only stdlib connection owned by one dedicated thread. The row is
decoded by the same SQLAlchemy column types the ORM uses, so the result equals what
``session.get`` returns, as a detached ``Conversation``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.conversations.models import Conversation
from app.db import table_of
from app.errors import NotFound

_TABLE = table_of(Conversation)
_BY_ID = select(_TABLE).where(_TABLE.c.id == bindparam("conversation_id"))
_COLUMNS = [column.key for column in _TABLE.columns]


class ConversationLookup:
    """``find(tenant_id, conversation_id)``: the tenant's conversation, or None when it does
    not exist yet; another tenant's conversation is indistinguishable from a missing one."""

    def __init__(self, *, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._sqlite = _SqliteReader.for_engine(engine)

    async def find(self, *, tenant_id: str, conversation_id: str | None) -> Conversation | None:
        if conversation_id is None:
            return None
        if self._sqlite is not None:
            conversation = await self._sqlite.get(conversation_id)
        else:
            async with self._sessionmaker() as session:
                row = (await session.execute(_BY_ID, {"conversation_id": conversation_id})).first()
            conversation = Conversation(**row._asdict()) if row is not None else None
        if conversation is not None and conversation.tenant_id != tenant_id:
            raise NotFound("no such conversation")
        return conversation

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()


class _SqliteReader:
    def __init__(self, *, path: str, dialect: Dialect) -> None:
        self._path = path
        self._sql = str(_BY_ID.compile(dialect=dialect))
        processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in _TABLE.columns
        ]
        self._processors = processors
        # One thread owns the connection (sqlite3 connections are not shared across
        # threads); lookups are ~0.1 ms, so one thread keeps up with the event loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conversation-lookup")
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> _SqliteReader | None:
        url = make_url(str(engine.url))
        database = url.database
        if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
            return None
        return cls(path=str(Path(database).resolve()), dialect=engine.dialect)

    async def get(self, conversation_id: str) -> Conversation | None:
        loop = asyncio.get_running_loop()
        row = await loop.run_in_executor(self._executor, self._fetch, conversation_id)
        if row is None:
            return None
        return Conversation(**dict(zip(_COLUMNS, self._decode(row), strict=True)))

    def _fetch(self, conversation_id: str) -> Sequence[Any] | None:
        if self._connection is None:
            # Read-only: this path can never write, whatever a bug upstream asks of it.
            self._connection = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=30)
        # fetchall, not fetchone: the statement runs to completion and releases its read
        # snapshot at once (an open snapshot would hold back WAL checkpoints).
        rows = self._connection.execute(self._sql, (conversation_id,)).fetchall()
        return rows[0] if rows else None

    def _decode(self, row: Sequence[Any]) -> list[Any]:
        return [
            processor(value) if processor is not None else value
            for processor, value in zip(self._processors, row, strict=True)
        ]

    def close(self) -> None:
        def _close() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
