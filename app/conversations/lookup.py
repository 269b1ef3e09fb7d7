"""Finding a conversation by id at the start of a chat turn: the one database read that
every turn naming its conversation pays for.

The read goes through ``app.turn_reads`` (one hop on a SQLite file, one round trip on
PostgreSQL, else a session); the row is decoded by the ORM's column types, so the result
equals what ``session.get`` returns, as a detached ``Conversation``.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.conversations.models import Conversation
from app.db import table_of
from app.errors import NotFound
from app.pg_reads import PgReader
from app.turn_reads import TurnReader

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
        self._reader = TurnReader(
            sessionmaker=sessionmaker, engine=engine, pg_reader=pg_reader, name="conversation-lookup"
        )

    async def find(self, *, tenant_id: str, conversation_id: str | None) -> Conversation | None:
        if conversation_id is None:
            return None
        rows = await self._reader.fetchall(_BY_ID, {"conversation_id": conversation_id})
        if not rows:
            return None
        conversation = Conversation(**dict(zip(_COLUMNS, rows[0], strict=True)))
        if conversation.tenant_id != tenant_id:
            raise NotFound("no such conversation")
        return conversation

    def close(self) -> None:
        self._reader.close()
