"""PII analysis in worker processes gives the same spans as in-process analysis, and a
pool whose worker died fails that call (the turn fails closed) and recovers."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from guardrails.pii_engine import PiiEngine
from guardrails.pii_workers import PiiWorkerPool
from guardrails.resources import CpuRunner

TEXTS = [
    "Hi, I'm Maria Gonzalez, my e-mail is maria.gonzalez@example.org",
    "Order 12345 was late, call me on +1 415 555 0137",
    "nothing personal here",
]


@pytest.fixture(scope="module")
def pool() -> Iterator[PiiWorkerPool]:
    pool = PiiWorkerPool(processes=1)
    pool.warm_up()
    yield pool
    pool.close()


def test_workers_find_what_the_local_engine_finds(pool: PiiWorkerPool, pii_engine: PiiEngine) -> None:
    assert pool.analyze_many(TEXTS) == pii_engine.analyze_many_sync(TEXTS)


async def test_engine_uses_the_workers_through_its_batcher(pool: PiiWorkerPool) -> None:
    from guardrails.pii_engine import build_pii_engine

    engine = build_pii_engine()
    engine.use_workers(pool)
    cpu = CpuRunner(max_workers=2)
    try:
        spans = await engine.analyze(TEXTS[0], cpu=cpu)
    finally:
        cpu.close()
    assert {span.entity_type for span in spans} >= {"PERSON", "EMAIL_ADDRESS"}


def test_a_dead_worker_fails_one_call_then_the_pool_recovers(pool: PiiWorkerPool) -> None:
    from concurrent.futures.process import BrokenProcessPool

    worker_pids = list(pool._pool._processes)
    os.kill(worker_pids[0], signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        for _ in range(3):  # the pool notices the death on the next submission
            pool.analyze_many(TEXTS[:1])
    assert pool.analyze_many(TEXTS[1:2])
