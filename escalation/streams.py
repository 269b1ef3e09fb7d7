"""Server-sent event streams: one per agent console (the tenant's handoff events) and one
per customer widget (agent and system messages, mode changes).

A stream stays open for ``duration`` seconds, then ends; browsers' EventSource reconnects
by itself and sends ``Last-Event-ID`` (a message sequence number), so nothing is missed.
Notices carry ids only; message text is read from the database when a notice arrives,
and again on every heartbeat, which also covers notices lost between replicas.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.conversations.models import Conversation
from app.conversations.service import AuthorKind
from app.conversations.vault import Vault
from escalation import queue
from escalation.events import EventHub, Notice
from escalation.views import message_as_dict, needs_vault, restored

HEARTBEAT_S = 15.0
RETRY_MS = 2000


def frame(data: dict[str, Any], *, event: str | None = None, event_id: int | None = None) -> str:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return "\n".join(lines) + "\n\n"


async def console_events(*, hub: EventHub, tenant_id: str, duration: float) -> AsyncIterator[str]:
    async with hub.subscribe(tenant_id=tenant_id) as subscription:
        yield f"retry: {RETRY_MS}\n\n"
        deadline = asyncio.get_running_loop().time() + duration
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            notice = await subscription.next(wait_s=min(remaining, HEARTBEAT_S))
            if subscription.lagged:
                subscription.lagged = False
                yield frame({}, event="resync")
            if notice is None:
                yield ": keep-alive\n\n"
                continue
            yield frame(_console_payload(notice), event=notice.event)


def _console_payload(notice: Notice) -> dict[str, Any]:
    return {
        "handoff_id": notice.handoff_id,
        "conversation_id": notice.conversation_id,
        "status": notice.status,
        "mode": notice.mode,
        "seq": notice.seq,
        "private": notice.private,
    }


class ConversationFeed:
    """Reads what the customer may see of one conversation, PII restored (their own values)."""

    def __init__(
        self, *, sessionmaker: async_sessionmaker[AsyncSession], vault: Vault, conversation_id: str
    ) -> None:
        self._sessionmaker = sessionmaker
        self._vault = vault
        self._conversation_id = conversation_id

    async def after(self, seq: int) -> tuple[list[dict[str, Any]], int, str | None]:
        """Messages after ``seq`` but the customer's own, the last sequence number seen,
        and the conversation's mode."""
        async with self._sessionmaker() as session:
            mode = await session.scalar(
                select(Conversation.mode).where(Conversation.id == self._conversation_id)
            )
            messages = await queue.transcript(
                session=session, conversation_id=self._conversation_id, after=seq, customer_view=True
            )
            texts = [message.content for message in messages]
            if needs_vault(messages):
                tokens = await self._vault.load(session=session, conversation_id=self._conversation_id)
                texts, _, _ = restored(messages, tokens)
        items = [
            message_as_dict(message, content=text, agent_view=False)
            for message, text in zip(messages, texts, strict=True)
            if message.author_kind != AuthorKind.CUSTOMER
        ]
        return items, max((message.seq for message in messages), default=seq), mode


async def conversation_events(
    *,
    hub: EventHub,
    feed: ConversationFeed,
    tenant_id: str,
    conversation_id: str,
    after: int,
    duration: float,
) -> AsyncIterator[str]:
    async with hub.subscribe(tenant_id=tenant_id, conversation_id=conversation_id) as subscription:
        yield f"retry: {RETRY_MS}\n\n"
        deadline = asyncio.get_running_loop().time() + duration
        last, mode = after, None
        while True:
            items, last, current = await feed.after(last)
            if current is not None and current != mode:
                mode = current
                yield frame({"mode": mode}, event="mode")
            for item in items:
                yield frame(item, event="message", event_id=item["seq"])
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            notice = await subscription.next(wait_s=min(remaining, HEARTBEAT_S))
            subscription.lagged = False  # every wake-up reloads from the database anyway
            if notice is None:
                yield ": keep-alive\n\n"
