"""Finding or starting a conversation, and appending to its transcript."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation, Message
from app.db import new_id, table_of, utcnow
from app.errors import InvalidRequest, NotFound

# Built once, in Core: constructing statements per call, and the ORM's bulk-update path,
# cost more CPU than running them (measured: the per-conversation ORM update was the
# largest part of a turn's transcript write).
_CONVERSATIONS = table_of(Conversation)
_INSERT_MESSAGE = insert(table_of(Message))
_INSERT_IF_ABSENT = {
    "sqlite": sqlite_insert(_CONVERSATIONS).on_conflict_do_nothing(index_elements=["id"]),
    "postgresql": postgresql_insert(_CONVERSATIONS).on_conflict_do_nothing(index_elements=["id"]),
}
# The same insert, telling which rows it stored (a racing request may have stored one).
_INSERT_IF_ABSENT_RETURNING = {
    name: statement.returning(_CONVERSATIONS.c.id) for name, statement in _INSERT_IF_ABSENT.items()
}
# Sequence numbers are taken atomically in the database (next_seq + count ... RETURNING),
# so turns racing in one conversation cannot collide.
_ADVANCE = (
    _CONVERSATIONS.update()
    .where(
        _CONVERSATIONS.c.id == bindparam("b_id"),
        _CONVERSATIONS.c.tenant_id == bindparam("b_tenant_id"),
    )
    .values(
        next_seq=_CONVERSATIONS.c.next_seq + bindparam("b_count"),
        ai_turns=_CONVERSATIONS.c.ai_turns + bindparam("b_ai_turns"),
        updated_at=bindparam("b_now"),
    )
    .returning(_CONVERSATIONS.c.next_seq)
)
_ADVANCE_WITH_STATE = _ADVANCE.values(
    guardrail_state=bindparam("b_state", type_=_CONVERSATIONS.c.guardrail_state.type)
)
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AI = "ai"
    AGENT = "agent"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Segments:
    """What fairness reports group by; optional, never PII."""

    channel: str | None = None
    locale: str | None = None
    region: str | None = None


def validate_conversation_id(value: str) -> str:
    if not _CONVERSATION_ID.match(value):
        raise InvalidRequest(
            "conversation ids are 1-64 characters: letters, digits, '.', '_', ':' or '-'",
            param="conversation_id",
        )
    return value


async def get_for_tenant(*, session: AsyncSession, tenant_id: str, conversation_id: str) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    # Another tenant's conversation is indistinguishable from a missing one.
    if conversation is None or conversation.tenant_id != tenant_id:
        raise NotFound("no such conversation")
    return conversation


async def find(*, session: AsyncSession, tenant_id: str, conversation_id: str | None) -> Conversation | None:
    """The named conversation of this tenant, or None when it does not exist yet."""
    if conversation_id is None:
        return None
    existing = await session.get(Conversation, conversation_id)
    if existing is not None and existing.tenant_id != tenant_id:
        raise NotFound("no such conversation")
    return existing


def start(
    *,
    tenant_id: str,
    conversation_id: str | None,
    customer_id: str | None,
    customer_pseudonym: str | None,
    segments: Segments,
) -> Conversation:
    """A new conversation, not yet stored: ``record_turns`` stores it with its first turn."""
    return Conversation(
        id=conversation_id or f"conv_{new_id().replace('-', '')}",
        tenant_id=tenant_id,
        customer_id=customer_id,
        customer_pseudonym=customer_pseudonym,
        mode="bot",
        ai_turns=0,
        next_seq=1,
        channel=segments.channel,
        locale=segments.locale,
        region=segments.region,
    )


@dataclass(frozen=True, slots=True)
class TurnWrite:
    """One turn's messages (already redacted) and the conversation counters it moves."""

    conversation: Conversation
    entries: Sequence[tuple[AuthorKind, str]]
    ai_turn: bool
    is_new: bool
    guardrail_state: dict[str, Any] | None = None  # None: unchanged


async def record_turns(*, session: AsyncSession, turns: Sequence[TurnWrite]) -> dict[str, int]:
    """Stores turns in the caller's transaction with few statements: one insert for the
    conversations they start (counters included), one counter update per conversation
    stored before, one insert for all their messages. Returns, per conversation stored,
    the sequence number of its last message; a conversation that turned out to belong to
    another tenant (a racing request took the id) is missing from it, and its turns are
    not stored."""
    by_conversation: dict[str, list[TurnWrite]] = {}
    for turn in turns:
        by_conversation.setdefault(turn.conversation.id, []).append(turn)
    now = utcnow()
    moves = {conversation_id: _Moves.of(group) for conversation_id, group in by_conversation.items()}
    # Conversations these turns start are inserted with their counters already moved; only
    # those a racing request stored first (and those stored before) need the update.
    started = [group for group in by_conversation.values() if any(turn.is_new for turn in group)]
    inserted: set[str] = set()
    if started:
        result = await session.execute(
            _INSERT_IF_ABSENT_RETURNING[session.get_bind().dialect.name],
            [
                _conversation_row(group[0].conversation, moves=moves[group[0].conversation.id], now=now)
                for group in started
            ],
        )
        inserted = set(result.scalars())
    rows: list[dict[str, Any]] = []
    last_seq: dict[str, int] = {}
    for conversation_id, group in by_conversation.items():
        conversation = group[0].conversation
        count = moves[conversation_id].messages
        if conversation_id in inserted:
            end: int | None = 1 + count
        else:
            end = await _advance(session, conversation, moves[conversation_id], now=now)
        if end is None:
            continue
        last_seq[conversation_id] = end - 1
        seq = end - count
        for turn in group:
            for kind, content in turn.entries:
                rows.append(
                    {
                        "tenant_id": conversation.tenant_id,
                        "conversation_id": conversation_id,
                        "seq": seq,
                        "author_kind": kind.value,
                        "content": content,
                        "created_at": now,
                    }
                )
                seq += 1
    if rows:
        await session.execute(_INSERT_MESSAGE, rows)
    return last_seq


@dataclass(frozen=True, slots=True)
class _Moves:
    """What a conversation's turns in one batch add to its counters."""

    messages: int
    ai_turns: int
    state: dict[str, Any] | None  # the newest detector state, None: unchanged

    @classmethod
    def of(cls, turns: Sequence[TurnWrite]) -> _Moves:
        states = [turn.guardrail_state for turn in turns if turn.guardrail_state is not None]
        return cls(
            messages=sum(len(turn.entries) for turn in turns),
            ai_turns=sum(turn.ai_turn for turn in turns),
            state=states[-1] if states else None,
        )


_NO_MOVES = _Moves(messages=0, ai_turns=0, state=None)


async def _advance(
    session: AsyncSession, conversation: Conversation, moves: _Moves, *, now: datetime
) -> int | None:
    """Moves a stored conversation's counters; returns its new ``next_seq``, or None when
    the id belongs to another tenant."""
    parameters: dict[str, Any] = {
        "b_id": conversation.id,
        "b_tenant_id": conversation.tenant_id,
        "b_count": moves.messages,
        "b_ai_turns": moves.ai_turns,
        "b_now": now,
    }
    statement = _ADVANCE
    if moves.state is not None:
        statement, parameters["b_state"] = _ADVANCE_WITH_STATE, moves.state
    end: int | None = (await session.execute(statement, parameters)).scalar_one_or_none()
    return end


async def ensure_stored(*, session: AsyncSession, conversation: Conversation) -> None:
    """Inserts a conversation started this turn, unless a racing request already did."""
    await ensure_stored_many(session=session, conversations=[conversation])


async def ensure_stored_many(*, session: AsyncSession, conversations: Sequence[Conversation]) -> None:
    """``ensure_stored`` for several conversations, in one statement."""
    now = utcnow()
    unique = {conversation.id: conversation for conversation in conversations}
    await session.execute(
        _INSERT_IF_ABSENT[session.get_bind().dialect.name],
        [_conversation_row(conversation, moves=_NO_MOVES, now=now) for conversation in unique.values()],
    )


def _conversation_row(conversation: Conversation, *, moves: _Moves, now: datetime) -> dict[str, Any]:
    """A new conversation's row, with its first turns' ``moves`` already counted."""
    return {
        "id": conversation.id,
        "tenant_id": conversation.tenant_id,
        "customer_id": conversation.customer_id,
        "customer_pseudonym": conversation.customer_pseudonym,
        "mode": conversation.mode,
        "ai_turns": moves.ai_turns,
        "next_seq": 1 + moves.messages,
        "channel": conversation.channel,
        "locale": conversation.locale,
        "region": conversation.region,
        "guardrail_state": moves.state if moves.state is not None else {},
        "created_at": now,
        "updated_at": now,
    }


async def transcript(
    *, session: AsyncSession, conversation_id: str, after: int = 0, limit: int = 200
) -> list[Message]:
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after)
        .order_by(Message.seq)
        .limit(limit)
    )
    return list(rows)
