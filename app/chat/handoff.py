"""Handing a chat turn to people: the queue entry, and what the customer is told.

From the moment a conversation is queued the bot is never called for it: the turn that
escalates is recorded at once (not behind the response), with the conversation's new mode,
so that every later turn, on any replica, finds it with a person.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.writer import AuditWriter
from app.chat.detection import Escalation
from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.conversations.vault import Vault
from app.db import WriteGate
from escalation import service as handoffs
from escalation.events import EventHub, Subscription
from escalation.store import Change
from escalation.streams import ConversationFeed


class PeopleReplies:
    """What people post to a customer after a given message, as it arrives."""

    def __init__(self, *, feed: ConversationFeed, subscription: Subscription) -> None:
        self._feed = feed
        self._subscription = subscription

    async def until_answered(self, *, after_seq: int, wait_s: float) -> AsyncIterator[dict[str, Any]]:
        """Messages for the customer (agents' replies, notices such as "Alex has joined")
        posted after ``after_seq``, until an agent has answered, the conversation is back
        with the bot, or ``wait_s`` has passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        last = after_seq
        while True:
            items, last, mode = await self._feed.after(last)
            for item in items:
                yield item
            if mode == "bot" or any(item.get("author_kind") == "agent" for item in items):
                return
            remaining = deadline - loop.time()
            if remaining <= 0 or await self._subscription.next(wait_s=remaining) is None:
                return


# Modes in which a person holds, or is about to hold, the conversation.
PERSON_MODES = frozenset({"queued", "human"})


@dataclass(frozen=True, slots=True)
class HandoffResult:
    id: str
    status: str
    reason_code: str

    def as_candor_object(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "reason_code": self.reason_code}


class TurnHandoff:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        audit: AuditWriter,
        hub: EventHub,
        vault: Vault,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._audit = audit
        self._hub = hub
        self._vault = vault

    @asynccontextmanager
    async def listening(self, conversation: Conversation) -> AsyncIterator[PeopleReplies]:
        """Subscribes to the conversation before the caller records its turn, so nothing
        people post afterwards is missed."""
        feed = ConversationFeed(
            sessionmaker=self._sessionmaker, vault=self._vault, conversation_id=conversation.id
        )
        async with self._hub.subscribe(
            tenant_id=conversation.tenant_id, conversation_id=conversation.id
        ) as subscription:
            yield PeopleReplies(feed=feed, subscription=subscription)

    async def enqueue(
        self, *, conversation: Conversation, escalation: Escalation, request_id: str | None
    ) -> HandoffResult:
        decision = escalation.decision
        async with self._gate.writing(self._sessionmaker) as session:
            await conversations.ensure_stored(session=session, conversation=conversation)
            change = await handoffs.enqueue(
                session=session,
                tenant_id=conversation.tenant_id,
                conversation_id=conversation.id,
                reason_code=escalation.reason_code,
                severity=escalation.severity,
                summary=decision.reason,  # the detector's reason: words about the case, no PII
                actor=decision.guardrail,
                request_id=request_id,
            )
        change.announce(audit=self._audit, hub=self._hub)
        conversation.mode = "queued"
        handoff = change.handoff
        return HandoffResult(id=handoff.id, status=handoff.status, reason_code=handoff.reason_code)

    def announce(self, change: Change) -> None:
        """Audits and publishes a handoff change the turn made itself (after its commit),
        such as a customer's queued request withdrawn when they opt in to AI again."""
        change.announce(audit=self._audit, hub=self._hub)
