"""Finding or starting a conversation, and appending to its transcript."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation, Message
from app.db import new_id, table_of, utcnow
from app.errors import InvalidRequest, NotFound

# Built once: constructing statements per call cost more CPU than running them.
_INSERT_MESSAGE = insert(table_of(Message))
_INSERT_IF_ABSENT = {
    "sqlite": sqlite_insert(table_of(Conversation)).on_conflict_do_nothing(index_elements=["id"]),
    "postgresql": postgresql_insert(table_of(Conversation)).on_conflict_do_nothing(index_elements=["id"]),
}
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
    conversations they start, one counter update per conversation (sequence numbers are
    taken atomically, so turns racing in one conversation cannot collide), one insert for
    all their messages. Returns, per conversation stored, the sequence number of its last
    message; a conversation that turned out to belong to another tenant (a racing request
    took the id) is missing from it, and its turns are not stored."""
    started = {turn.conversation.id: turn.conversation for turn in turns if turn.is_new}
    if started:
        await session.execute(
            _INSERT_IF_ABSENT[session.get_bind().dialect.name],
            [_conversation_row(conversation) for conversation in started.values()],
        )
    by_conversation: dict[str, list[TurnWrite]] = {}
    for turn in turns:
        by_conversation.setdefault(turn.conversation.id, []).append(turn)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    last_seq: dict[str, int] = {}
    for conversation_id, group in by_conversation.items():
        conversation = group[0].conversation
        count = sum(len(turn.entries) for turn in group)
        values: dict[str, Any] = {"next_seq": Conversation.next_seq + count, "updated_at": now}
        ai_turns = sum(turn.ai_turn for turn in group)
        if ai_turns:
            values["ai_turns"] = Conversation.ai_turns + ai_turns
        states = [turn.guardrail_state for turn in group if turn.guardrail_state is not None]
        if states:
            values["guardrail_state"] = states[-1]
        end = (
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.tenant_id == conversation.tenant_id)
                .values(**values)
                .returning(Conversation.next_seq)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
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


async def ensure_stored(*, session: AsyncSession, conversation: Conversation) -> None:
    """Inserts a conversation started this turn, unless a racing request already did."""
    statement = _INSERT_IF_ABSENT[session.get_bind().dialect.name]
    await session.execute(statement, [_conversation_row(conversation)])


def _conversation_row(conversation: Conversation) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": conversation.id,
        "tenant_id": conversation.tenant_id,
        "customer_id": conversation.customer_id,
        "customer_pseudonym": conversation.customer_pseudonym,
        "mode": conversation.mode,
        "ai_turns": 0,
        "next_seq": 1,
        "channel": conversation.channel,
        "locale": conversation.locale,
        "region": conversation.region,
        "guardrail_state": {},
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
