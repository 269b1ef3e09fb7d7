"""PII engine latency and throughput on the generated customer-service corpus.

    .venv/bin/python bench/pii_engine_latency.py [--messages 600]

Sequential: one new message at a time through the engine (cache cleared, so every
message is a miss), reported as p50/p95/p99. Concurrency 32: the same messages through
``PiiEngine.analyze`` (micro-batched ``nlp.pipe`` in the CPU runner) with 32 in flight,
compared with plain Presidio ``AnalyzerEngine.analyze`` one message at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_accuracy import generate_corpus

from guardrails.pii_engine import SUPPORTED_ENTITIES, build_pii_engine
from guardrails.resources import CpuRunner


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if q < 100 else max(values)


async def concurrent(engine: object, texts: list[str], workers: int) -> float:
    cpu = CpuRunner(max_workers=2)
    queue = list(texts)

    async def worker() -> None:
        while queue:
            await engine.analyze(queue.pop(), cpu=cpu)  # type: ignore[attr-defined]

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - start
    cpu.close()
    return len(texts) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    args = parser.parse_args()
    texts = [m.text for m in generate_corpus(args.messages, seed=11)]
    engine = build_pii_engine()
    engine.warm_up()

    latencies = []
    for text in texts:
        start = time.perf_counter()
        engine.analyze_many_sync([text])
        latencies.append((time.perf_counter() - start) * 1000)
    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
    print(f"sequential engine, {len(texts)} messages: p50 {p50:.2f} ms  p95 {p95:.2f} ms  p99 {p99:.2f} ms")

    start = time.perf_counter()
    for text in texts:
        engine.analyzer.analyze(text, language="en", entities=list(SUPPORTED_ENTITIES))
    presidio_rate = len(texts) / (time.perf_counter() - start)
    print(f"sequential Presidio analyze (same recognizers): {presidio_rate:.0f} msg/s")

    engine.clear_cache()
    batched_rate = asyncio.run(concurrent(engine, texts, 32))
    ratio = batched_rate / presidio_rate
    print(f"concurrency 32, micro-batched: {batched_rate:.0f} msg/s ({ratio:.2f}x sequential Presidio)")
    ok = p50 <= 8 and p99 <= 20 and ratio >= 1.5
    print("targets met (p50 <= 8 ms, p99 <= 20 ms, >= 1.5x)" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
