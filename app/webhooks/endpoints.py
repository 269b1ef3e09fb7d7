"""Registering, listing and removing a tenant's webhook endpoints, and reading what was
sent to them. Another tenant's ids are simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import new_id, utcnow
from app.errors import InvalidRequest, NotFound
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.webhooks.signing import SecretBox, new_secret


class EventType(StrEnum):
    REQUESTED = "handoff.requested"
    ACCEPTED = "handoff.accepted"
    COMPLETED = "handoff.completed"
    FAILED = "handoff.failed"


@dataclass(frozen=True, slots=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str  # shown once, to the admin who registered the endpoint


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest("the webhook url must be an http:// or https:// url", param="url")
    return url.strip()


def check_events(events: list[str] | None) -> list[str]:
    known = {e.value for e in EventType}
    chosen = sorted(set(events or []))
    unknown = [e for e in chosen if e not in known]
    if unknown:
        raise InvalidRequest(f"unknown event types; use any of: {', '.join(sorted(known))}", param="events")
    return chosen


async def create(
    *, session: AsyncSession, box: SecretBox, tenant_id: str, url: str, events: list[str] | None
) -> Created:
    endpoint_id = new_id()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        tenant_id=tenant_id,
        url=check_url(url),
        secret=box.seal(secret, endpoint_id=endpoint_id),
        events=check_events(events),
        created_at=utcnow(),
    )
    session.add(endpoint)
    await session.flush()
    return Created(endpoint=endpoint, secret=secret)


async def active(*, session: AsyncSession, tenant_id: str) -> list[WebhookEndpoint]:
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.disabled_at.is_(None))
        .order_by(WebhookEndpoint.created_at)
    )
    return list(rows)


async def get(*, session: AsyncSession, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.tenant_id == tenant_id,
            WebhookEndpoint.disabled_at.is_(None),
        )
    )
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


async def disable(*, session: AsyncSession, tenant_id: str, endpoint_id: str) -> None:
    """Stops sending to the endpoint; its pending deliveries fail, its history stays."""
    endpoint = await get(session=session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    now = utcnow()
    endpoint.disabled_at = now
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == DeliveryStatus.PENDING.value
        )
        .values(status=DeliveryStatus.FAILED.value, last_error="endpoint_disabled", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )


async def recent_deliveries(
    *, session: AsyncSession, tenant_id: str, endpoint_id: str, limit: int
) -> list[WebhookDelivery]:
    endpoint = await get(session=session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
    )
    return list(rows)


def endpoint_as_dict(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "events": endpoint.events or [e.value for e in EventType],
        "created_at": endpoint.created_at.isoformat(),
    }


def delivery_as_dict(delivery: WebhookDelivery) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": delivery.id,
        "object": "webhook_delivery",
        "event_type": delivery.event_type,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": iso(delivery.next_attempt_at),
        "created_at": iso(delivery.created_at),
        "delivered_at": iso(delivery.delivered_at),
        "payload": delivery.payload,
    }
