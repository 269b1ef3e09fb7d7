"""Finding a conversation by id at the start of a chat turn: the one database read that
every turn naming its conversation pays for.

On PostgreSQL this is one Core ``SELECT`` in one round trip (``app.pg_reads``); on a
SQLite file it is one hop (``app.sqlite_reads``); without either, a session. The row is
decoded by the same SQLAlchemy column types the ORM uses, so the result equals what
``session.get`` returns, as a detached ``Conversation``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.conversations.models import Conversation
from app.db import table_of
from app.errors import NotFound
from app.pg_reads import PgReader
from app.sqlite_reads import OneHopReader, sqlite_file_of

_TABLE = table_of(Conversation)
_BY_ID = select(_TABLE).where(_TABLE.c.id == bindparam("conversation_id"))
_COLUMNS = [column.key for column in _TABLE.columns]


class ConversationLookup:
    """``find(tenant_id, conversation_id)``: the tenant's conversation, or None when it does
    not exist yet; another tenant's conversation is indistinguishable from a missing one."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        pg_reader: PgReader | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._pg_reader = pg_reader
        path = sqlite_file_of(engine)
        self._reader = OneHopReader(path=path, name="conversation-lookup") if path else None
        self._sql = str(_BY_ID.compile(dialect=engine.dialect))
        self._decoders = _decoders(engine.dialect)

    async def find(self, *, tenant_id: str, conversation_id: str | None) -> Conversation | None:
        if conversation_id is None:
            return None
        if self._reader is not None:
            rows = await self._reader.fetchall(self._sql, (conversation_id,))
            conversation = self._decode(rows[0]) if rows else None
        else:
            row = await self._read_row(conversation_id)
            conversation = Conversation(**row._asdict()) if row is not None else None
        if conversation is not None and conversation.tenant_id != tenant_id:
            raise NotFound("no such conversation")
        return conversation

    async def _read_row(self, conversation_id: str) -> Any:
        parameters = {"conversation_id": conversation_id}
        if self._pg_reader is not None:
            rows = await self._pg_reader.fetchall(_BY_ID, parameters)
            return rows[0] if rows else None
        async with self._sessionmaker() as session:
            return (await session.execute(_BY_ID, parameters)).first()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def _decode(self, row: Sequence[Any]) -> Conversation:
        values = (
            decode(value) if decode is not None else value
            for decode, value in zip(self._decoders, row, strict=True)
        )
        return Conversation(**dict(zip(_COLUMNS, values, strict=True)))


def _decoders(dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    """Each column's result processor for this dialect (JSON, UTC datetimes, ...)."""
    return [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in _TABLE.columns]
