"""The no-pickup timeout: a background task that tells customers who have waited too long
in the queue that they are still waiting (``service.expire_unclaimed``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import WriteGate, utcnow
from escalation import service
from escalation.store import AuditSink, NoticeSink

log = logging.getLogger(__name__)


class NoPickupWatcher:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        audit: AuditSink,
        hub: NoticeSink,
        pickup_within_s: float,
        interval_s: float = 15.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._audit = audit
        self._hub = hub
        self._pickup_within = timedelta(seconds=pickup_within_s)
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="no-pickup-watcher")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def check(self) -> int:
        """One pass; returns how many customers were told."""
        async with self._gate.writing(self._sessionmaker) as session:
            changes = await service.expire_unclaimed(
                session=session, now=utcnow(), pickup_within=self._pickup_within
            )
        for change in changes:
            change.announce(audit=self._audit, hub=self._hub)
        return len(changes)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.check()
            except Exception as exc:  # noqa: BLE001 - try again next round; never end the task
                log.warning("no-pickup check failed", extra={"error": type(exc).__name__})
            try:
                async with asyncio.timeout(self._interval_s):
                    await self._stopping.wait()
            except TimeoutError:
                pass
