"""PII analysis in worker processes.

spaCy and Presidio's recognizers are mostly Python and hold the interpreter lock, so in
threads they take turns with the web server for one core. In a worker process they run on
another core while the server goes on. The parent keeps the cache and the micro-batcher
(``PiiEngine``); a worker only turns a batch of texts into spans.

Workers are started with ``spawn`` (the server has threads; ``fork`` would copy their
locks), build their own engine from the installed model, and warm up before the pool is
used. If a worker dies, the call that saw it raises (the turn fails closed) and the next
call gets a fresh pool.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from guardrails.pii_engine import DEFAULT_MODEL, PiiEngine, Span, build_pii_engine

_ENGINE: PiiEngine | None = None


def _start_worker(model_name: str) -> None:
    global _ENGINE  # one engine per worker process, built once by the pool initializer
    _ENGINE = build_pii_engine(model_name=model_name)
    _ENGINE.warm_up()


def _analyze(texts: list[str]) -> list[tuple[Span, ...]]:
    if _ENGINE is None:
        raise RuntimeError("PII worker used before it was started")
    return _ENGINE.analyze_many_sync(texts)


class PiiWorkerPool:
    def __init__(self, *, processes: int, model_name: str = DEFAULT_MODEL) -> None:
        if processes < 1:
            raise ValueError("a PII worker pool needs at least one process")
        self.processes = processes
        self._model_name = model_name
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._model_name,),
        )

    def warm_up(self) -> None:
        """Blocks until every worker has built and warmed its engine."""
        futures = [self._pool.submit(_analyze, ["warm up"]) for _ in range(self.processes)]
        for future in futures:
            future.result()

    def analyze_many(self, texts: Sequence[str]) -> list[tuple[Span, ...]]:
        """Blocking (call it from a thread): the spans of each text, from a worker."""
        pool = self._pool
        try:
            return pool.submit(_analyze, list(texts)).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:  # replace it once, however many calls saw it break
                    self._pool = self._new_pool()
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
