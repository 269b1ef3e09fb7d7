"""Shared pieces of the benchmarks: processes on 127.0.0.1, percentiles, a load driver.

Every process started here listens on 127.0.0.1 only and is stopped when the benchmark
ends; every load loop is bounded by a count.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"process for {url} exited early")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Stack:
    backend_url: str  # the zero-latency backend's /v1
    candor_url: str
    keys: dict[str, str]


@contextmanager
def candor_stack(*, policy_file: Path | None = None, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """A zero-latency OpenAI-compatible backend and a real `candor serve` in front of it,
    on a fresh SQLite database."""
    workdir = Path(tempfile.mkdtemp(prefix="candor-bench-"))
    backend_port, candor_port = free_port(), free_port()
    backend = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "zero_latency_backend.py"), str(backend_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # BENCH_DATABASE_URL: an empty PostgreSQL database to use instead of a fresh SQLite file.
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{workdir / 'candor.db'}"
    environment = {
        **os.environ,
        "CANDOR_DATABASE_URL": database_url,
        "CANDOR_BACKEND_URL": f"http://127.0.0.1:{backend_port}/v1",
        "CANDOR_BACKEND_KIND": "openai",
        "CANDOR_PORT": str(candor_port),
        "CANDOR_HOST": "127.0.0.1",
        "CANDOR_LOG_LEVEL": "WARNING",
        "CANDOR_ENV": "development",
        **(env or {}),
    }
    environment.pop("CANDOR_POLICY_FILE", None)
    if policy_file is not None:
        environment["CANDOR_POLICY_FILE"] = str(policy_file)
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        candor = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--migrate"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(f"http://127.0.0.1:{backend_port}/v1/models", backend)
        wait_ready(f"http://127.0.0.1:{candor_port}/readyz", candor)
        keys = dict(re.findall(r"^\s+(chat|agent|auditor|admin)\s+(cnd_\S+)$", log_path.read_text(), re.M))
        yield Stack(
            backend_url=f"http://127.0.0.1:{backend_port}/v1",
            candor_url=f"http://127.0.0.1:{candor_port}",
            keys=keys,
        )
    finally:
        _stop(candor)
        _stop(backend)


def _client(concurrency: int) -> aiohttp.ClientSession:
    # The load generator shares the machine's two cores with the proxy and the backend, so
    # it should cost as little as possible: aiohttp spends ~0.2 ms of CPU per request here,
    # httpx ~0.9 ms (measured), CPU the proxy would otherwise have.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def _post(
    client: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[Any, bytes]:
    async with client.post(url, json=body, headers=headers) as response:
        payload = await response.read()
        if response.status != 200:
            raise SystemExit(f"unexpected status {response.status}")
        return response.headers, payload


async def drive(
    url: str,
    *,
    bodies: Callable[[int], dict[str, Any]],
    headers: Callable[[int], dict[str, str]],
    turns: int,
    concurrency: int,
    warmup: int = 50,
) -> tuple[list[float], float]:
    """Sends ``turns`` POSTs with ``concurrency`` in flight; returns latencies (ms) and turns/s."""
    latencies: list[float] = []
    async with _client(concurrency) as client:
        for index in range(warmup):
            await _post(client, url, bodies(-1 - index), headers(-1 - index))
        queue = iter(range(turns))

        async def worker() -> None:
            for index in queue:
                started = time.perf_counter()
                await _post(client, url, bodies(index), headers(index))
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, turns / elapsed


def latency_row(label: str, values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
    return f"{label:<24}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}"


async def drive_conversations(
    url: str, *, headers: dict[str, str], conversations: list[list[str]], concurrency: int
) -> tuple[list[float], float, int]:
    """Plays each conversation turn by turn (resending the history, as Chat Completions
    clients do), ``concurrency`` conversations at a time. Returns per-turn latencies (ms),
    turns/s and the number of turns."""
    latencies: list[float] = []
    async with _client(concurrency) as client:
        queue = iter(conversations)

        async def worker() -> None:
            for turns in queue:
                history: list[dict[str, str]] = []
                conversation_headers = dict(headers)
                for text in turns:
                    history.append({"role": "user", "content": text})
                    started = time.perf_counter()
                    response_headers, payload = await _post(
                        client, url, {"model": "bench", "messages": history}, conversation_headers
                    )
                    latencies.append((time.perf_counter() - started) * 1000)
                    conversation_headers["X-Conversation-Id"] = response_headers["x-conversation-id"]
                    reply = json.loads(payload)["choices"][0]["message"]["content"]
                    history.append({"role": "assistant", "content": reply})

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, len(latencies) / elapsed, len(latencies)
