"""Finding or starting a conversation, and appending to its transcript."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation, Message
from app.db import new_id, utcnow
from app.errors import InvalidRequest, NotFound

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


async def resolve(
    *,
    session: AsyncSession,
    tenant_id: str,
    conversation_id: str | None,
    customer_id: str | None,
    customer_pseudonym: str | None,
    segments: Segments,
) -> Conversation:
    """The conversation named by the client, created on first use, or a new one."""
    if conversation_id is not None:
        existing = await session.get(Conversation, conversation_id)
        if existing is not None:
            if existing.tenant_id != tenant_id:
                raise NotFound("no such conversation")
            return existing
    conversation = Conversation(
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
    session.add(conversation)
    await session.flush()
    return conversation


async def append(
    *,
    session: AsyncSession,
    conversation: Conversation,
    entries: Sequence[tuple[AuthorKind, str]],
    ai_turn: bool = False,
) -> None:
    """Append messages (already redacted) with sequence numbers taken atomically."""
    if not entries:
        return
    values: dict[str, object] = {"next_seq": Conversation.next_seq + len(entries), "updated_at": utcnow()}
    if ai_turn:
        values["ai_turns"] = Conversation.ai_turns + 1
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(**values)
        .returning(Conversation.next_seq)
    )
    end = result.scalar_one()
    first = end - len(entries)
    now = utcnow()
    await session.execute(
        insert(Message),
        [
            {
                "tenant_id": conversation.tenant_id,
                "conversation_id": conversation.id,
                "seq": first + offset,
                "author_kind": kind.value,
                "content": content,
                "created_at": now,
            }
            for offset, (kind, content) in enumerate(entries)
        ],
    )


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
