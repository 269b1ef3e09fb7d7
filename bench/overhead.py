"""What Candor adds to a turn: the proxy's latency minus the backend's own.

Starts a zero-latency OpenAI-compatible backend and a real `candor serve` (fresh SQLite
database, shipped default policy: disclosure rail on, audit on), then sends the same
non-streaming turn N times straight to the backend and N times through Candor, at
concurrency 1 and 50, each turn in a new conversation (the disclosure is shown every
time). Prints p50/p95/p99 of both and the difference, and turns per second.

All traffic goes to 127.0.0.1; everything stops by itself.

    .venv/bin/python bench/overhead.py [--turns 1000] [--concurrency 1 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TURN = {"model": "bench", "messages": [{"role": "user", "content": "Where is my order 12345?"}]}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def drive(url: str, headers: dict[str, str], turns: int, concurrency: int, *, per_turn_conversation: bool) -> tuple[list[float], float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        queue = iter(range(turns))

        async def worker() -> None:
            for _ in queue:
                extra = {"X-Conversation-Id": f"bench-{uuid.uuid4().hex}"} if per_turn_conversation else {}
                started = time.perf_counter()
                response = await client.post(url, json=TURN, headers={**headers, **extra})
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"unexpected status {response.status_code}")

        # Warm-up: connections, caches, JIT-free but import-heavy paths.
        for _ in range(min(50, turns)):
            await client.post(url, json=TURN, headers=headers)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, turns / elapsed


def row(label: str, values: list[float]) -> str:
    return f"{label:<22}{percentile(values, 50):>9.2f}{percentile(values, 95):>9.2f}{percentile(values, 99):>9.2f}{statistics.fmean(values):>9.2f}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument(
        "--conversation",
        choices=["given", "new"],
        default="given",
        help="given: the client names a new conversation id each turn (Candor looks it up); "
        "new: no id, Candor starts the conversation (no lookup)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="candor-bench-"))
    backend_port, candor_port = free_port(), free_port()
    backend = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "zero_latency_backend.py"), str(backend_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "CANDOR_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'candor.db'}",
        "CANDOR_BACKEND_URL": f"http://127.0.0.1:{backend_port}/v1",
        "CANDOR_PORT": str(candor_port),
        "CANDOR_LOG_LEVEL": "WARNING",
        "CANDOR_ENV": "development",
    }
    env.pop("CANDOR_POLICY_FILE", None)
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        candor = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{backend_port}/v1/models", backend)
        wait_ready(f"http://127.0.0.1:{candor_port}/readyz", candor)
        key = re.search(r"chat\s+(cnd_\S+)", log_path.read_text()).group(1)  # type: ignore[union-attr]
        direct_url = f"http://127.0.0.1:{backend_port}/v1/chat/completions"
        proxy_url = f"http://127.0.0.1:{candor_port}/v1/chat/completions"
        print(f"Candor overhead: {args.turns} non-streaming turns per run, new conversation each turn")
        print(f"(conversation id {args.conversation}: " + ("looked up in the database)," if args.conversation == "given" else "none sent, no lookup),"))
        print("default policy (disclosure rail) and batched audit on; SQLite; client, proxy and backend share this machine")
        print(f"cores: {os.cpu_count()}\n")
        for concurrency in args.concurrency:
            direct, direct_tps = await drive(direct_url, {}, args.turns, concurrency, per_turn_conversation=False)
            proxied, proxy_tps = await drive(
                proxy_url,
                {"Authorization": f"Bearer {key}"},
                args.turns,
                concurrency,
                per_turn_conversation=args.conversation == "given",
            )
            print(f"concurrency {concurrency}")
            print(f"{'latency (ms)':<22}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}")
            print(row("  direct backend", direct))
            print(row("  through Candor", proxied))
            added = [percentile(proxied, q) - percentile(direct, q) for q in (50, 95, 99)]
            print(f"{'  added by Candor':<22}{added[0]:>9.2f}{added[1]:>9.2f}{added[2]:>9.2f}")
            print(f"  turns/s: direct {direct_tps:.0f}, through Candor {proxy_tps:.0f}\n")
    finally:
        for process in (candor, backend):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    asyncio.run(main())
