"""Batched audit writes, off the request path.

A turn hands its events to ``AuditWriter.submit`` (no I/O, no await) and goes on; a
background task inserts them in batches. ``flush()`` waits until everything submitted so
far is in the database (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from app.ops import metrics

log = logging.getLogger(__name__)

_RETRY_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)


class AuditWriter:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        batch_size: int,
        flush_interval_s: float,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._pending: list[dict[str, Any]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._submitted = 0
        self._written = 0
        self._written_changed = asyncio.Condition()

    def submit(self, events: Iterable[dict[str, Any]]) -> None:
        batch = list(events)
        self._pending.extend(batch)
        self._submitted += len(batch)
        if len(self._pending) >= self._batch_size:
            self._wakeup.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def stop(self) -> None:
        """Writes everything pending, then ends the background task."""
        # A flag, not Task.cancel(): on Python 3.11 a cancel that races the wake-up
        # timeout can be swallowed, and the task would never end.
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def flush(self) -> None:
        target = self._submitted
        self._wakeup.set()
        async with self._written_changed:
            await self._written_changed.wait_for(lambda: self._written >= target)

    async def _run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._interval):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
            self._wakeup.clear()
            while self._pending:
                batch = self._pending[: self._batch_size]
                await self._write_with_retry(batch)
                del self._pending[: len(batch)]
                async with self._written_changed:
                    self._written += len(batch)
                    self._written_changed.notify_all()
            if self._stopping:
                return

    async def _write_with_retry(self, batch: list[dict[str, Any]]) -> None:
        attempt = 0
        while True:
            try:
                async with self._sessionmaker() as session, session.begin():
                    await session.execute(insert(AuditEvent), batch)
                metrics.AUDIT_EVENTS_WRITTEN.inc(len(batch))
                return
            except Exception as exc:  # noqa: BLE001 - keep the events and try again
                metrics.AUDIT_WRITE_ERRORS.inc()
                delay = _RETRY_DELAYS_S[min(attempt, len(_RETRY_DELAYS_S) - 1)]
                log.warning(
                    "audit batch write failed; retrying",
                    extra={"error": type(exc).__name__, "events": len(batch), "retry_in_s": delay},
                )
                attempt += 1
                await asyncio.sleep(delay)
