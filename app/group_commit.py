"""Group commit: writes that a caller must wait for, shared among concurrent callers.

Some writes cannot go to a background batch because the reply depends on them (a turn's
new PII values must be stored before the customer sees the reply, so that every later
turn, on any replica, gives them the same tokens). Each such write on its own pays a
transaction: a begin, a commit, a turn at SQLite's single writer, and on aiosqlite a
thread hop per step. ``GroupCommit.write(item)`` queues the item and waits; one task
writes everything queued in one transaction and wakes every caller. With no one else
waiting, a write starts at once (no added delay); under load, writes that arrive while
one transaction runs share the next.

If a shared transaction fails, its items are written one by one, so a bad item fails
only its own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import WriteGate

T = TypeVar("T")


@dataclass(slots=True)
class _Waiting(Generic[T]):
    item: T
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit(Generic[T]):
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        write_many: Callable[[AsyncSession, Sequence[T]], Awaitable[object]],
        max_batch: int = 64,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._write_many = write_many
        self._max_batch = max_batch
        self._queue: list[_Waiting[T]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, item: T) -> None:
        """Returns once ``item`` is committed; raises what its transaction raised."""
        waiting = _Waiting(item)
        self._queue.append(waiting)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="group-commit")
        await asyncio.shield(waiting.done)  # a cancelled caller does not cancel the others

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            try:
                await self._commit([waiting.item for waiting in batch])
            except Exception as exc:  # noqa: BLE001 - handed to the callers, who raise it
                if len(batch) == 1:
                    _settle(batch, exc)
                    continue
                for waiting in batch:  # find the bad one: each alone
                    try:
                        await self._commit([waiting.item])
                    except Exception as single:  # noqa: BLE001
                        _settle([waiting], single)
                    else:
                        _settle([waiting], None)
                continue
            _settle(batch, None)

    async def _commit(self, items: Sequence[T]) -> None:
        async with self._gate.writing(self._sessionmaker) as session:
            await self._write_many(session, items)


def _settle(batch: Sequence[_Waiting[T]], error: BaseException | None) -> None:
    for waiting in batch:
        if waiting.done.done():
            continue
        if error is None:
            waiting.done.set_result(None)
        else:
            waiting.done.set_exception(error)
