"""Reading the audit trail: filters and keyset pagination in time order.

Pages are ordered by ``(occurred_at, id)`` and every filter column has an index
``(tenant_id, column, occurred_at, id)``, so a filtered page of 100 — with or without a
time range — is one index range scan, however long the trail is.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.db import UTCDateTime, utcnow
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

    def given(self) -> dict[str, str]:
        """The filters that were set, as text: what an ``audit.read`` event records."""
        values = {name: getattr(self, name) for name in self.__slots__}
        return {
            name: value.isoformat() if isinstance(value, datetime) else str(value)
            for name, value in values.items()
            if value is not None
        }


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts (after this event), and the moment the walk began:
    events that occurred later wait for the next walk, among them the ``audit.read``
    events of the walk itself, which would otherwise keep it chasing its own tail."""

    after: tuple[datetime, int] | None
    as_of: datetime

    def encode(self) -> str:
        assert self.after is not None
        moment, event_id = self.after
        raw = f"t{_micros(moment)}:{event_id}:{_micros(self.as_of)}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            if not raw.startswith("t"):
                raise ValueError
            moment, event_id, as_of = (int(part) for part in raw[1:].split(":"))
            return cls(after=(_moment(moment), event_id), as_of=_moment(as_of))
        except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
            raise InvalidRequest("invalid cursor", param="cursor") from None


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


async def list_events(
    *, session: AsyncSession, tenant_id: str, filters: EventFilter, cursor: str | None, limit: int
) -> tuple[list[AuditEvent], str | None]:
    """A page of events in time order (``occurred_at``, then ``id``) and the cursor of the
    next page, or None after the last."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}", param="limit")
    position = Cursor.decode(cursor) if cursor else Cursor(after=None, as_of=utcnow())
    query = apply_filters(select(AuditEvent).where(AuditEvent.tenant_id == tenant_id), filters)
    query = query.where(AuditEvent.occurred_at <= position.as_of)
    if position.after is not None:
        moment, event_id = position.after
        after = tuple_(literal(moment, UTCDateTime()), literal(event_id, AuditEvent.id.type))
        query = query.where(tuple_(AuditEvent.occurred_at, AuditEvent.id) > after)
    ordered = query.order_by(AuditEvent.occurred_at, AuditEvent.id).limit(limit + 1)
    rows = list(await session.scalars(ordered))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(after=(last.occurred_at, last.id), as_of=position.as_of).encode()


def apply_filters(query: Select[Any], filters: EventFilter) -> Select[Any]:
    """``query`` narrowed to the events that match ``filters`` (all given ones at once)."""
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
    return query


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
        "event_uid": event.event_uid,
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
