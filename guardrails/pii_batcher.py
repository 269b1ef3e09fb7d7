"""Gathers concurrent analysis requests into one batch for the CPU runner.

spaCy analyses a batch through ``nlp.pipe`` at about half the per-text cost of one call
per text. The batcher adds no waiting when idle: a request that finds no batch in flight
starts one at the next turn of the event loop (so requests made in the same tick join
it). Requests that arrive while a batch is running queue up and go together in the next
one, so batches grow with load and shrink to one when traffic is light.

State is kept per event loop, so a batcher shared by several loops (tests, workers)
never mixes futures between them. An exception in the batch function is given to every
request of that batch: the guardrail raises and the turn fails closed.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from guardrails.resources import CpuRunner

R = TypeVar("R")


@dataclass(slots=True)
class _LoopState(Generic[R]):
    queue: list[tuple[str, asyncio.Future[R]]] = field(default_factory=list)
    inflight: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class MicroBatcher(Generic[R]):
    """``await submit(text, cpu=...)`` returns ``process([.., text, ..])[i]`` for that text."""

    def __init__(
        self, process: Callable[[Sequence[str]], list[R]], *, max_batch: int = 32, max_inflight: int = 1
    ) -> None:
        if max_batch < 1 or max_inflight < 1:
            raise ValueError("max_batch and max_inflight must be at least 1")
        self._process = process
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState[R]] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(self, text: str, *, cpu: CpuRunner) -> R:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = _LoopState()
        future: asyncio.Future[R] = loop.create_future()
        state.queue.append((text, future))
        if state.inflight < self._max_inflight:
            self._start(state, cpu)
        return await future

    def _start(self, state: _LoopState[R], cpu: CpuRunner) -> None:
        state.inflight += 1
        task = asyncio.get_running_loop().create_task(self._run(state, cpu))
        state.tasks.add(task)  # keep a reference until done
        task.add_done_callback(state.tasks.discard)

    async def _run(self, state: _LoopState[R], cpu: CpuRunner) -> None:
        try:
            while state.queue:
                batch = [item for item in state.queue[: self._max_batch] if not item[1].done()]
                del state.queue[: self._max_batch]
                if not batch:
                    continue
                try:
                    results = await cpu.run(self._process, [text for text, _ in batch])
                except Exception as exc:  # noqa: BLE001 - handed to every waiter, who re-raises it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            state.inflight -= 1
