"""From handoff notices to delivery rows: what each tenant's endpoints are to be sent.

``Outbox.observe`` is handed every notice this replica publishes (``EventHub.observe``;
notices arriving from other replicas are theirs to record, so each event is recorded
once). It does no I/O; a background writer stores one pending delivery per event and
endpoint, and then wakes the dispatcher. Payloads carry ids, states and times only.

An event is held in memory for up to ``flush_interval_s`` after its transaction has
committed; a crash in that window loses the webhook (the SSE stream, the queue and the
audit trail still have it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.batching import BatchWriter
from app.db import WriteGate, new_id, table_of, utcnow
from app.webhooks.endpoints import EventType
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from escalation.events import Notice
from escalation.models import Handoff

# Which handoff notices become which webhook events; the others are not sent.
EVENT_OF_NOTICE: dict[str, EventType] = {
    "handoff.queued": EventType.REQUESTED,
    "handoff.claimed": EventType.ACCEPTED,
    "handoff.resolved": EventType.COMPLETED,
    "handoff.handed_back": EventType.COMPLETED,
    "handoff.expired": EventType.FAILED,  # nobody picked up in time
}
FAILURE_OF_NOTICE = {"handoff.expired": "no_pickup"}


@dataclass(frozen=True, slots=True)
class HandoffEvent:
    id: str
    type: EventType
    tenant_id: str
    handoff_id: str
    conversation_id: str
    status: str | None
    occurred_at: datetime
    failure: str | None = None

    @classmethod
    def of(cls, notice: Notice) -> HandoffEvent | None:
        kind = EVENT_OF_NOTICE.get(notice.event)
        if kind is None or notice.handoff_id is None:
            return None
        return cls(
            id=new_id(),
            type=kind,
            tenant_id=notice.tenant_id,
            handoff_id=notice.handoff_id,
            conversation_id=notice.conversation_id,
            status=notice.status,
            occurred_at=utcnow(),
            failure=FAILURE_OF_NOTICE.get(notice.event),
        )

    def payload(self, handoff: Handoff | None) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        data: dict[str, Any] = {
            "handoff": {
                "id": self.handoff_id,
                "conversation_id": self.conversation_id,
                "status": self.status,  # as of this event, not as of sending
                "reason_code": handoff.reason_code if handoff else None,
                "severity": handoff.severity if handoff else None,
                "priority": handoff.priority if handoff else None,
                "created_at": iso(handoff.created_at) if handoff else None,
                "queued_at": iso(handoff.queued_at) if handoff else None,
                "claimed_at": iso(handoff.claimed_at) if handoff else None,
                "resolved_at": iso(handoff.resolved_at) if handoff else None,
            }
        }
        if self.failure:
            data["failure"] = self.failure
        return {
            "id": self.id,
            "type": self.type.value,
            "created_at": iso(self.occurred_at),
            "tenant_id": self.tenant_id,
            "data": data,
        }


class Outbox(BatchWriter[HandoffEvent]):
    name = "webhook-outbox"

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        on_stored: Callable[[], None],
        batch_size: int = 200,
        flush_interval_s: float = 0.05,
    ) -> None:
        super().__init__(
            sessionmaker=sessionmaker, gate=gate, batch_size=batch_size, flush_interval_s=flush_interval_s
        )
        self._on_stored = on_stored

    def observe(self, notices: list[Notice]) -> None:
        events = [event for event in map(HandoffEvent.of, notices) if event is not None]
        if events:
            self.submit(events)

    async def write_batch(self, session: AsyncSession, batch: Sequence[HandoffEvent]) -> None:
        tenants = {event.tenant_id for event in batch}
        endpoints = list(
            await session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.tenant_id.in_(tenants), WebhookEndpoint.disabled_at.is_(None)
                )
            )
        )
        if not endpoints:
            return
        handoffs = {
            handoff.id: handoff
            for handoff in await session.scalars(
                select(Handoff).where(Handoff.id.in_({event.handoff_id for event in batch}))
            )
        }
        now = utcnow()
        rows = [
            {
                "id": new_id(),
                "endpoint_id": endpoint.id,
                "tenant_id": event.tenant_id,
                "event_type": event.type.value,
                "event_id": event.id,
                "payload": event.payload(handoffs.get(event.handoff_id)),
                "attempts": 0,
                "status": DeliveryStatus.PENDING.value,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event in batch
            for endpoint in endpoints
            if endpoint.tenant_id == event.tenant_id
            and (not endpoint.events or event.type in endpoint.events)
        ]
        if rows:
            await session.execute(insert(table_of(WebhookDelivery)), rows)

    def on_written(self, batch: Sequence[HandoffEvent]) -> None:
        self._on_stored()
