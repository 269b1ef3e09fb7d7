"""Reading the audit trail: filters and keyset pagination over (tenant_id, id)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.errors import InvalidRequest

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class EventFilter:
    conversation_id: str | None = None
    customer_pseudonym: str | None = None
    guardrail: str | None = None
    action: str | None = None
    reason_code: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def encode_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"e{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("e"):
            raise ValueError
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest("invalid cursor", param="cursor") from None


async def list_events(
    *, session: AsyncSession, tenant_id: str, filters: EventFilter, cursor: str | None, limit: int
) -> tuple[list[AuditEvent], str | None]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}", param="limit")
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    columns: dict[str, Any] = {
        "conversation_id": AuditEvent.conversation_id,
        "customer_pseudonym": AuditEvent.customer_pseudonym,
        "guardrail": AuditEvent.guardrail,
        "action": AuditEvent.action,
        "reason_code": AuditEvent.reason_code,
        "event_type": AuditEvent.event_type,
    }
    for name, column in columns.items():
        value = getattr(filters, name)
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= _aware(filters.since))
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < _aware(filters.until))
    if cursor:
        query = query.where(AuditEvent.id > decode_cursor(cursor))
    rows = list(await session.scalars(query.order_by(AuditEvent.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _aware(moment: datetime) -> datetime:
    # A time given without a zone is read as UTC, the zone every event is stored in.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "event_type": event.event_type,
        "request_id": event.request_id,
        "conversation_id": event.conversation_id,
        "customer_pseudonym": event.customer_pseudonym,
        "actor": event.actor,
        "stage": event.stage,
        "guardrail": event.guardrail,
        "action": event.action,
        "mode": event.mode,
        "reason_code": event.reason_code,
        "reason": event.reason,
        "score": event.score,
        "findings": event.findings,
        "details": event.details,
        "policy_version": event.policy_version,
        "latency_ms": event.latency_ms,
        "channel": event.channel,
        "locale": event.locale,
        "region": event.region,
    }
