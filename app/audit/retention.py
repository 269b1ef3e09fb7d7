"""Purging old audit events without breaking the proofs.

Only a whole prefix of a tenant's chain is deleted, and only up to a signed checkpoint:
``verify`` then starts from that checkpoint's head hash (the first kept event links to
it). Checkpoints themselves are kept (they are small and hold no event content). The
purge is recorded as an ``audit.purged`` event, chained in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.events import AuditScope
from app.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from app.audit.writer import lock_head, store_chained
from app.db import WriteGate, table_of
from guardrails.policy import Policy

_EVENTS = table_of(AuditEvent)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    deleted: int
    through_seq: int  # events with seq <= this are gone (0: none purged yet)


async def purge_audit_events(
    session: AsyncSession, tenant_id: str, before: datetime, *, actor: str = "system"
) -> PurgeResult:
    """Deletes the tenant's events older than ``before`` up to the latest checkpoint that
    lies wholly before it (in the caller's transaction)."""
    head_seq, _ = await lock_head(session, tenant_id)  # no event is chained meanwhile
    first_kept = await session.scalar(
        select(func.min(_EVENTS.c.seq)).where(
            _EVENTS.c.tenant_id == tenant_id, _EVENTS.c.occurred_at >= before
        )
    )
    limit = (first_kept - 1) if first_kept is not None else head_seq
    through = await session.scalar(
        select(func.max(AuditCheckpoint.tree_size)).where(
            AuditCheckpoint.tenant_id == tenant_id, AuditCheckpoint.tree_size <= limit
        )
    )
    if not through:
        return PurgeResult(deleted=0, through_seq=0)
    outcome = await session.execute(
        delete(_EVENTS).where(_EVENTS.c.tenant_id == tenant_id, _EVENTS.c.seq <= through)
    )
    deleted = cast(CursorResult[Any], outcome).rowcount
    if deleted:
        event = AuditScope(tenant_id=tenant_id, request_id=None).event(
            "audit.purged",
            actor=actor,
            action="purge",
            reason="audit events older than the retention period were deleted",
            details={"through_seq": int(through), "deleted": int(deleted), "before": before.isoformat()},
        )
        await store_chained(session, [event])
    return PurgeResult(deleted=int(deleted or 0), through_seq=int(through))


async def purge_expired_audit(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    gate: WriteGate,
    policy_of: Callable[[AsyncSession, str], Awaitable[Policy]],
    now: datetime,
    actor: str = "candor:retention",
) -> dict[str, PurgeResult]:
    """Applies each tenant's ``audit.retention_days`` (tenants without one keep all), one
    transaction per tenant; returns what was purged, by tenant id."""
    async with sessionmaker() as session:
        tenant_ids = list((await session.scalars(select(AuditChainHead.tenant_id))).all())
    purged = {}
    for tenant_id in tenant_ids:
        async with gate.writing(sessionmaker) as session:
            days = (await policy_of(session, tenant_id)).audit.retention_days
            if days is None:
                continue
            result = await purge_audit_events(session, tenant_id, now - timedelta(days=days), actor=actor)
        if result.deleted:
            purged[tenant_id] = result
    return purged
