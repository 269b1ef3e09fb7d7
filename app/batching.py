"""A background writer that stores items in batches, off the request path.

Callers ``submit`` items (no I/O, no await) and go on; one task writes whatever is
pending in one transaction per batch, at least every ``flush_interval_s``, and retries a
failed batch with backoff, keeping its items. ``flush()`` waits until everything
submitted so far is written; ``stop()`` writes everything, then ends the task.

Subclasses implement ``write_batch``; a batch that fails for a reason that retrying
cannot cure (``PermanentWriteError``) is split, so one bad item cannot hold back the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import WriteGate

log = logging.getLogger(__name__)

T = TypeVar("T")

_RETRY_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)


class BatchWriter(Generic[T]):
    name = "batch"

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        batch_size: int,
        flush_interval_s: float,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._pending: list[T] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._submitted = 0
        self._written = 0
        self._written_changed = asyncio.Condition()

    async def write_batch(self, session: AsyncSession, batch: Sequence[T]) -> None:
        raise NotImplementedError

    def on_written(self, batch: Sequence[T]) -> None:
        """Called after a batch is committed (or dropped as unwritable)."""

    def submit(self, items: Iterable[T]) -> None:
        batch = list(items)
        self._pending.extend(batch)
        self._submitted += len(batch)
        if len(self._pending) >= self._batch_size:
            self._wakeup.set()

    @property
    def backlog(self) -> int:
        return self._submitted - self._written

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-writer")

    async def stop(self, *, give_up_after_s: float | None = None) -> bool:
        """Writes everything, then ends the task. With ``give_up_after_s``, a writer still
        retrying then is cancelled and False returned: only for callers that keep the
        pending items elsewhere (the audit spool)."""
        # A flag, not Task.cancel(): on Python 3.11 a cancel that races the wake-up
        # timeout can be swallowed, and the task would never end.
        self._stopping = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is None:
            return True
        done, _ = await asyncio.wait({task}, timeout=give_up_after_s)
        if task in done:
            task.result()
            return True
        # Stuck retrying a write (the database is away): the cancel lands in that write
        # or its back-off sleep, not in the wake-up wait, so it is not swallowed.
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        return False

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
                self.on_written(batch)
                async with self._written_changed:
                    self._written += len(batch)
                    self._written_changed.notify_all()
            if self._stopping:
                return

    async def _write_with_retry(self, batch: Sequence[T]) -> None:
        attempt = 0
        while True:
            try:
                await self._write_once(batch)
                return
            except (IntegrityError, DataError):
                # Not curable by waiting: write the items one by one, dropping the bad ones.
                await self._write_singly(batch)
                return
            except Exception as exc:  # noqa: BLE001 - keep the items and try again
                self.on_failure(exc)
                delay = _RETRY_DELAYS_S[min(attempt, len(_RETRY_DELAYS_S) - 1)]
                log.warning(
                    "batch write failed; retrying",
                    extra={
                        "writer": self.name,
                        "error": type(exc).__name__,
                        "items": len(batch),
                        "retry_in_s": delay,
                    },
                )
                attempt += 1
                await asyncio.sleep(delay)

    async def _write_once(self, batch: Sequence[T]) -> None:
        async with self._gate.writing(self._sessionmaker) as session:
            await self.write_batch(session, batch)

    async def _write_singly(self, batch: Sequence[T]) -> None:
        for item in batch:
            try:
                await self._write_once([item])
            except (IntegrityError, DataError) as exc:
                log.error(
                    "dropping an item that cannot be stored",
                    extra={"writer": self.name, "error": type(exc).__name__},
                )
                self.on_failure(None)
                self.on_dropped(item)

    def on_failure(self, exc: BaseException | None) -> None:
        """Hook for metrics."""

    def on_dropped(self, item: T) -> None:
        """Called for an item the database refused for good (after ``on_failure``)."""
