"""Batched audit writes, off the request path (see ``app.batching``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.batching import BatchWriter
from app.ops import metrics


class AuditWriter(BatchWriter[dict[str, Any]]):
    name = "audit"

    async def write_batch(self, session: AsyncSession, batch: Sequence[dict[str, Any]]) -> None:
        await session.execute(insert(AuditEvent), list(batch))

    def on_written(self, batch: Sequence[dict[str, Any]]) -> None:
        metrics.AUDIT_EVENTS_WRITTEN.inc(len(batch))

    def on_failure(self, exc: BaseException | None) -> None:
        metrics.AUDIT_WRITE_ERRORS.inc()
