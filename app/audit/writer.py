"""Batched audit writes, off the request path (see ``app.batching``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.batching import BatchWriter
from app.db import table_of
from app.ops import metrics

_INSERT = insert(table_of(AuditEvent))


class AuditWriter(BatchWriter[dict[str, Any]]):
    name = "audit"

    async def write_batch(self, session: AsyncSession, batch: Sequence[dict[str, Any]]) -> None:
        # A Core executemany: the ORM's per-row bulk bookkeeping cost more than the insert.
        await session.execute(_INSERT, list(batch))

    def on_written(self, batch: Sequence[dict[str, Any]]) -> None:
        metrics.AUDIT_EVENTS_WRITTEN.inc(len(batch))

    def on_failure(self, exc: BaseException | None) -> None:
        metrics.AUDIT_WRITE_ERRORS.inc()
