"""Why Candor did what it did on one conversation, in plain words, in the customer's
language (English, Spanish, French or German; English otherwise).

Built from the conversation's audit events, which hold decisions, entity types and reason
codes but never values, so the explanation cannot contain the customer's data either.
Decisions in monitor mode changed nothing and are left out; a sentence that would repeat
(the same kind of data hidden on every turn) is said once, at its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from guardrails.locale import customer_locale, shipped_texts


@dataclass(frozen=True, slots=True)
class Item:
    at: datetime
    kind: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "kind": self.kind, "text": self.text}


class _Words:
    def __init__(self, language: str) -> None:
        self.language = language
        texts = shipped_texts(language).explanation
        self._sentences = texts.sentences
        self._entities = texts.entities

    def has(self, key: str) -> bool:
        return key in self._sentences

    def say(self, key: str, **values: str) -> str:
        return self._sentences[key].format(**values)

    def entity(self, entity_type: str) -> str | None:
        return self._entities.get(entity_type)


def _describe(event: AuditEvent, words: _Words) -> list[tuple[str, str]]:
    """(kind, sentence) pairs for one event; empty when it tells the customer nothing."""
    details = event.details or {}
    if event.event_type == "guardrail.decision":
        if event.mode != "enforce":
            return []
        return _describe_decision(event, details, words)
    if event.event_type == "handoff.queued":
        # Queued because the customer opted out of AI (now or before): said as such.
        reason = "consent" if event.actor in ("consent", "ai_consent") else (event.reason_code or "policy")
        key = f"to_person.{reason}"
        return [("handoff", words.say(key if words.has(key) else "to_person.policy"))]
    if event.event_type == "handoff.claimed":
        return [("handoff", words.say("joined"))]
    if event.event_type == "handoff.handed_back":
        return [("handoff", words.say("handed_back"))]
    if event.event_type == "handoff.resolved" and details.get("why") != "consent_opt_in":
        return [("handoff", words.say("resolved"))]
    if event.event_type == "handoff.expired":
        return [("handoff", words.say("waiting"))]
    if event.event_type == "consent.changed":
        return [("consent", words.say("opted_out" if event.action == "opt_out" else "opted_in"))]
    return []


def _describe_decision(event: AuditEvent, details: dict[str, Any], words: _Words) -> list[tuple[str, str]]:
    if details.get("failed"):
        return [("safety_check", words.say("failed"))]
    guardrail, action = event.guardrail, event.action
    if guardrail == "pii" and action == "redact":
        said = []
        for finding in event.findings or []:
            what = words.entity(str(finding.get("entity_type", "")))
            said.append(("pii", words.say("hidden", what=what) if what else words.say("hidden_other")))
        return said or [("pii", words.say("hidden_other"))]
    if guardrail == "pii_leak" and action == "redact":
        return [("pii", words.say("leak"))]
    if guardrail == "disclosure" and action == "annotate":
        return [("disclosure", words.say("disclosed", when=_when(event.occurred_at)))]
    if guardrail == "bot_question" and action == "annotate":
        return [("bot_question", words.say("bot_question"))]
    if guardrail == "impersonation" and action not in (None, "allow"):
        return [("impersonation", words.say("impersonation"))]
    if action == "block":
        return [("refused", words.say("refused"))]
    return []


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def explain_events(events: Iterable[AuditEvent], *, locale: str | None) -> dict[str, Any]:
    words = _Words(customer_locale(locale, ()))
    items: list[Item] = []
    said: set[tuple[str, str]] = set()
    for event in events:
        for kind, text in _describe(event, words):
            # The disclosure is one fact however often it was shown: its first time counts.
            key = (kind, "") if kind == "disclosure" else (kind, text)
            if key in said:
                continue
            said.add(key)
            items.append(Item(at=event.occurred_at, kind=kind, text=text))
    summary = " ".join(item.text for item in items) if items else words.say("summary_none")
    return {"language": words.language, "summary": summary, "items": [item.as_dict() for item in items]}


async def explain(
    *, session: AsyncSession, tenant_id: str, conversation_id: str, locale: str | None
) -> dict[str, Any]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id, AuditEvent.conversation_id == conversation_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return {"conversation_id": conversation_id, **explain_events(rows, locale=locale)}
