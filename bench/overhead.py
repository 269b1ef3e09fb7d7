"""What Candor adds to a turn: the proxy's latency minus the backend's own.

Starts a zero-latency OpenAI-compatible backend and a real `candor serve` (fresh SQLite
database; by default the disclosure rail alone, audit on), then sends the same
non-streaming turn N times straight to the backend and N times through Candor, at each
concurrency, each turn in a new conversation (so the disclosure is shown every time).
Prints p50/p95/p99 of both, the difference, and turns per second.

    .venv/bin/python bench/overhead.py [--turns 1000] [--concurrency 1 50]
        [--conversation given|new] [--policy default|disclosure]

All traffic goes to 127.0.0.1; everything stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from pathlib import Path

from harness import candor_stack, drive, latency_row, percentile

TURN = {"model": "bench", "messages": [{"role": "user", "content": "Where is my order 12345?"}]}
POLICIES = {"disclosure": Path(__file__).with_name("disclosure_only_policy.yaml"), "default": None}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument(
        "--conversation",
        choices=["given", "new"],
        default="given",
        help="given: the client names a new conversation id each turn (Candor looks it up); "
        "new: no id is sent and Candor starts the conversation (no lookup)",
    )
    parser.add_argument("--policy", choices=sorted(POLICIES), default="disclosure")
    parser.add_argument(
        "--customer",
        choices=["none", "returning"],
        default="none",
        help="returning: each turn names one of 50 customers (X-Customer-Id), so Candor looks up "
        "their AI consent on every turn",
    )
    args = parser.parse_args()

    with candor_stack(policy_file=POLICIES[args.policy]) as stack:
        chat = {"Authorization": f"Bearer {stack.keys['chat']}"}

        def proxy_headers(turn: int) -> dict[str, str]:
            headers = dict(chat)
            if args.conversation == "given":
                headers["X-Conversation-Id"] = f"bench-{uuid.uuid4().hex}"
            if args.customer == "returning":
                headers["X-Customer-Id"] = f"bench-customer-{turn % 50}"
            return headers

        print(f"Candor overhead: {args.turns} non-streaming turns per run, a new conversation each turn")
        print(f"(conversation id {args.conversation}), policy: {args.policy}, audit on, SQLite;")
        print(f"client, proxy and backend share this machine ({os.cpu_count()} cores)\n")
        for concurrency in args.concurrency:
            direct, direct_tps = await drive(
                f"{stack.backend_url}/chat/completions",
                bodies=lambda _: TURN,
                headers=lambda _: {},
                turns=args.turns,
                concurrency=concurrency,
            )
            proxied, proxy_tps = await drive(
                f"{stack.candor_url}/v1/chat/completions",
                bodies=lambda _: TURN,
                headers=proxy_headers,
                turns=args.turns,
                concurrency=concurrency,
            )
            print(f"concurrency {concurrency}")
            print(f"{'latency (ms)':<24}{'p50':>9}{'p95':>9}{'p99':>9}")
            print(latency_row("  direct backend", direct))
            print(latency_row("  through Candor", proxied))
            added = [percentile(proxied, q) - percentile(direct, q) for q in (50, 95, 99)]
            print(f"{'  added by Candor':<24}{added[0]:>9.2f}{added[1]:>9.2f}{added[2]:>9.2f}")
            print(f"  turns/s: direct {direct_tps:.0f}, through Candor {proxy_tps:.0f}\n")


if __name__ == "__main__":
    asyncio.run(main())
