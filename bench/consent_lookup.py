"""What reading a customer's consent to AI adds to a turn.

A fresh SQLite file (migrated) with 10,000 stored choices; then, N times each, in the
order a turn does them: the conversation lookup alone, the consent read alone (the
one-hop reader, and through a session for comparison), and both together as the turn
runs them (``asyncio.gather``). Prints p50/p95/p99 in ms. Everything stays in a temporary
directory; nothing is sent anywhere.

    .venv/bin/python bench/consent_lookup.py [--reads 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from harness import percentile

from app.conversations.lookup import ConversationLookup
from app.customers.lookup import ConsentLookup
from app.customers.models import CustomerConsent
from app.db import create_engine, create_sessionmaker, utcnow
from app.migrate import upgrade
from app.tenants.service import create_tenant


async def timed(label: str, reads: int, call: Callable[[int], Awaitable[object]]) -> None:
    for i in range(100):  # warm-up
        await call(i)
    latencies = []
    for i in range(reads):
        started = time.perf_counter()
        await call(i)
        latencies.append((time.perf_counter() - started) * 1000)
    row = "".join(f"{percentile(latencies, q):>9.3f}" for q in (50, 95, 99))
    print(f"{label:<44}{row}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        await upgrade(url)
        engine = create_engine(url)
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session, session.begin():
            tenant = await create_tenant(session=session, name="bench")
            session.add_all(
                CustomerConsent(
                    tenant_id=tenant.id, subject=f"p{i:05d}", ai="opt_out", source="api", updated_at=utcnow()
                )
                for i in range(10_000)
            )
        conversations = ConversationLookup(engine=engine, sessionmaker=sessionmaker)
        fast = ConsentLookup(engine=engine, sessionmaker=sessionmaker)
        slow = ConsentLookup(sessionmaker=sessionmaker)

        def conversation(i: int) -> Awaitable[object]:
            return conversations.find(tenant_id=tenant.id, conversation_id=f"c-{uuid.uuid4().hex}")

        def consent(lookup: ConsentLookup) -> Callable[[int], Awaitable[object]]:
            def read(i: int) -> Awaitable[object]:
                return lookup.choices(
                    tenant_id=tenant.id, pseudonym=f"p{i % 10_000:05d}", conversation_id=f"c{i}"
                )

            return read

        async def both(i: int) -> object:
            return await asyncio.gather(conversation(i), consent(fast)(i))

        async def in_turn(i: int) -> object:
            return (await conversation(i), await consent(fast)(i))

        print(f"consent lookup, SQLite, {args.reads} reads each (ms)")
        print(f"{'':<44}{'p50':>9}{'p95':>9}{'p99':>9}")
        await timed("conversation lookup alone (before)", args.reads, conversation)
        await timed("both, gathered (after: what the turn does)", args.reads, both)
        await timed("both, one after the other", args.reads, in_turn)
        await timed("consent alone, one-hop reader", args.reads, consent(fast))
        await timed("consent alone, through a session", args.reads, consent(slow))
        conversations.close()
        fast.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
