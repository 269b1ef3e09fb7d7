"""Heavy shared things a guardrail may need, built once by the app and passed in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class CpuRunner:
    """Runs CPU-bound callables off the event loop, under one shared limit.

    spaCy and Presidio hold the GIL for most of their work, so more threads than cores
    only adds contention; the limit keeps a burst of turns from queueing unbounded work.
    """

    def __init__(self, *, max_workers: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="candor-cpu")
        self._limit = asyncio.Semaphore(max_workers * 4)

    async def run(self, func: Callable[..., T], /, *args: Any) -> T:
        async with self._limit:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, func, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass(slots=True)
class Resources:
    """Passed to every guardrail constructor; most use none of it."""

    cpu: CpuRunner
    # Keyed-hash secret (e.g. the PII `hash` operator); derived from CANDOR_SECRET_KEY.
    hmac_key: bytes = b""
    # Named engines built at start-up (e.g. "pii_analyzer"); a guardrail that needs one
    # that is missing fails at start-up, not on a turn.
    engines: dict[str, Any] = field(default_factory=dict)
