"""Handing a chat turn to people: the queue entry, and what the customer is told.

From the moment a conversation is queued the bot is never called for it: the turn that
escalates is recorded at once (not behind the response), with the conversation's new mode,
so that every later turn, on any replica, finds it with a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.writer import AuditWriter
from app.chat.detection import Escalation
from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.db import WriteGate
from escalation import service as handoffs
from escalation.events import EventHub

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
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._audit = audit
        self._hub = hub

    async def enqueue(
        self, *, conversation: Conversation, escalation: Escalation, request_id: str | None
    ) -> HandoffResult:
        decision = escalation.decision
        reason_code = decision.reason_code.value if decision.reason_code else "policy"
        async with self._gate.writing(self._sessionmaker) as session:
            await conversations.ensure_stored(session=session, conversation=conversation)
            change = await handoffs.enqueue(
                session=session,
                tenant_id=conversation.tenant_id,
                conversation_id=conversation.id,
                reason_code=reason_code,
                severity=escalation.severity,
                summary=decision.reason,  # the detector's reason: words about the case, no PII
                actor=decision.guardrail,
                request_id=request_id,
            )
        change.announce(audit=self._audit, hub=self._hub)
        conversation.mode = "queued"
        handoff = change.handoff
        return HandoffResult(id=handoff.id, status=handoff.status, reason_code=handoff.reason_code)
