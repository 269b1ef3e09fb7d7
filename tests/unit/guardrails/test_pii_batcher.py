import asyncio

import pytest

from guardrails.pii_batcher import MicroBatcher
from guardrails.resources import CpuRunner


@pytest.mark.asyncio
async def test_results_go_back_to_their_callers() -> None:
    batches: list[list[str]] = []

    def upper(texts: list[str]) -> list[str]:
        batches.append(list(texts))
        return [t.upper() for t in texts]

    cpu = CpuRunner(max_workers=1)
    batcher = MicroBatcher(upper, max_batch=4)
    results = await asyncio.gather(*(batcher.submit(f"t{i}", cpu=cpu) for i in range(10)))
    cpu.close()
    assert results == [f"T{i}" for i in range(10)]
    assert max(len(b) for b in batches) <= 4 and len(batches) < 10


@pytest.mark.asyncio
async def test_errors_reach_every_waiter() -> None:
    def fail(texts: list[str]) -> list[str]:
        raise RuntimeError("engine failure")

    cpu = CpuRunner(max_workers=1)
    batcher = MicroBatcher(fail)
    outcomes = await asyncio.gather(*(batcher.submit("x", cpu=cpu) for _ in range(3)), return_exceptions=True)
    cpu.close()
    assert all(isinstance(o, RuntimeError) for o in outcomes)


def test_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(lambda texts: list(texts), max_batch=0)
