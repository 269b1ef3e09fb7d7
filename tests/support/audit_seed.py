"""Many audit events, fast: realistic, correctly chained rows inserted in large batches.

For tests and benchmarks that need 100,000 or 1,000,000 events without running that many
turns. The rows continue the tenant's chain from its head (and move the head), so
``verify`` and exports stay meaningful and the live writer can append after them.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.chain import chain_events
from app.audit.models import AuditChainHead, AuditEvent
from app.audit.writer import lock_head
from app.db import table_of, utcnow

GUARDRAILS = ("normalize", "pii", "human_request", "sensitive_topic", "frustration", "loop", "disclosure")
CHANNELS = ("web", "sms", "whatsapp", "email")
LOCALES = ("en-GB", "de-DE", "fr-FR", "es-ES")
REASONS = ("customer_request", "frustration", "sensitive_topic", "loop", "crisis")


def one_turn(
    rng: random.Random, tenant_id: str, conversation: str, pseudonym: str, when: datetime
) -> list[dict[str, Any]]:
    """The events of one bot turn: received, the input decisions, the backend call, the
    output decision and the answer; now and then a redaction or a handoff."""
    request_id = f"req_{uuid.uuid4().hex[:20]}"
    segment = {
        "channel": rng.choice(CHANNELS),
        "locale": rng.choice(LOCALES),
        "region": rng.choice(("eu", "us")),
    }
    base: dict[str, Any] = {
        "tenant_id": tenant_id,
        "request_id": request_id,
        "conversation_id": conversation,
        "customer_pseudonym": pseudonym,
        "policy_version": 1,
        "reason": "",
        "score": None,
        "latency_ms": None,
        "findings": [],
        "details": {},
        "stage": None,
        "guardrail": None,
        "action": None,
        "mode": None,
        "reason_code": None,
        **segment,
    }
    events = [{**base, "event_type": "turn.received", "actor": "customer", "details": {"messages": 1}}]
    for name in GUARDRAILS:
        action, reason_code, findings = "allow", None, []
        if name == "pii" and rng.random() < 0.2:
            action = "redact"
            findings = [
                {"entity_type": "EMAIL_ADDRESS", "start": 5, "end": 25, "score": 1.0, "detector": "regex"}
            ]
        elif name == "human_request" and rng.random() < 0.03:
            action, reason_code = "escalate", "customer_request"
        elif name == "disclosure" and rng.random() < 0.3:
            action = "annotate"
        events.append(
            {
                **base,
                "event_type": "guardrail.decision",
                "actor": name,
                "guardrail": name,
                "stage": "output" if name == "disclosure" else "input",
                "mode": "enforce",
                "action": action,
                "reason_code": reason_code,
                "reason": f"{name} decided {action}",
                "score": round(rng.random(), 4),
                "latency_ms": round(rng.uniform(0.01, 5.0), 3),
                "findings": findings,
            }
        )
    if any(e["action"] == "escalate" for e in events):
        events.append(
            {
                **base,
                "event_type": "handoff.queued",
                "actor": "candor",
                "action": "queued",
                "reason_code": rng.choice(REASONS),
                "details": {"handoff_id": str(uuid.uuid4())},
            }
        )
    else:
        events.append(
            {
                **base,
                "event_type": "backend.call",
                "actor": "backend:openai",
                "action": "ok",
                "latency_ms": round(rng.uniform(1, 50), 3),
            }
        )
        events.append({**base, "event_type": "turn.answered", "actor": "candor", "action": "ai"})
    for offset, event in enumerate(events):
        event["occurred_at"] = when + timedelta(microseconds=offset)
        event["event_uid"] = uuid.uuid4().hex
    return events


async def seed_events(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    tenant_id: str,
    count: int,
    start: datetime | None = None,
    span: timedelta = timedelta(days=30),
    batch: int = 10_000,
    seed: int = 7,
) -> int:
    """Inserts about ``count`` chained events (whole turns) spread over ``span``; returns
    how many were inserted."""
    rng = random.Random(seed)
    begin = start or (utcnow() - span)
    step = span / max(1, count)
    inserted = 0
    table = table_of(AuditEvent)
    heads = table_of(AuditChainHead)
    conversation, pseudonym, turns_left = "", "", 0
    while inserted < count:
        events: list[dict[str, Any]] = []
        while len(events) < batch and inserted + len(events) < count:
            if turns_left == 0:
                conversation, pseudonym, turns_left = uuid.uuid4().hex, uuid.uuid4().hex, rng.randint(1, 6)
            events.extend(
                one_turn(rng, tenant_id, conversation, pseudonym, begin + step * (inserted + len(events)))
            )
            turns_left -= 1
        async with sessionmaker() as session, session.begin():
            head_seq, head_hash = await lock_head(session, tenant_id)
            seq, last = chain_events(events, head_seq=head_seq, head_hash=head_hash)
            await session.execute(insert(table), events)
            await session.execute(
                heads.update()
                .where(heads.c.tenant_id == tenant_id)
                .values(seq=seq, hash=last, updated_at=utcnow())
            )
        inserted += len(events)
    return inserted
