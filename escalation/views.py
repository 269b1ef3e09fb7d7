"""How handoffs and messages look in API responses, and restoring PII for readers who may
see it (the agent, audited; the customer, their own values)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.conversations.models import Message
from escalation.models import Handoff
from escalation.states import HandoffStatus
from guardrails.pii_tokens import TOKEN_RE, PiiTokens


def handoff_as_dict(handoff: Handoff, *, now: datetime) -> dict[str, Any]:
    waiting_s = None
    if handoff.status in (HandoffStatus.QUEUED, HandoffStatus.HUMAN):
        waiting_s = round(((handoff.claimed_at or now) - handoff.queued_at).total_seconds(), 1)
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "status": handoff.status,
        "reason_code": handoff.reason_code,
        "severity": handoff.severity,
        "priority": handoff.priority,
        "summary": handoff.summary,
        "assigned_agent": handoff.assigned_agent,
        "agent_name": handoff.agent_name,
        "released_count": handoff.released_count,
        "waiting_s": waiting_s,
        "created_at": _iso(handoff.created_at),
        "queued_at": _iso(handoff.queued_at),
        "claimed_at": _iso(handoff.claimed_at),
        "resolved_at": _iso(handoff.resolved_at),
        "expired_at": _iso(handoff.expired_at),
    }


def handoff_brief(handoff: Handoff) -> dict[str, Any]:
    """What the chat response's ``candor.handoff`` carries."""
    return {"id": handoff.id, "status": handoff.status, "reason_code": handoff.reason_code}


def message_as_dict(message: Message, *, content: str | None = None, agent_view: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "seq": message.seq,
        "author_kind": message.author_kind,
        "author_name": message.author_name,
        "content": message.content if content is None else content,
        "created_at": _iso(message.created_at),
    }
    if agent_view:
        item["private"] = message.private
    return item


def needs_vault(messages: Sequence[Message]) -> bool:
    return any(TOKEN_RE.search(message.content) for message in messages)


def restored(messages: Sequence[Message], tokens: PiiTokens) -> tuple[list[str], int, list[str]]:
    """Each message's text with PII put back; how many values that put back, of which types."""
    texts, count, types = [], 0, set()
    for message in messages:
        for match in TOKEN_RE.finditer(message.content):
            if tokens.value_of(match.group(0)) is not None:
                count += 1
                types.add(match.group(1))
        texts.append(tokens.restore(message.content))
    return texts, count, sorted(types)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
