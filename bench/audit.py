"""What the audit trail costs and how fast it reads.

Prints, for SQLite (a fresh file) or PostgreSQL (``BENCH_DATABASE_URL``, an empty database):

1. write overhead per turn, at each ``--concurrency``: turn latency through the real app
   (in-process, over ASGI, on uvloop, in front of the zero-latency backend,
   disclosure-only policy) with the audit writer on (``CANDOR_AUDIT_ACK`` write, the
   default, and fsync), with the spool on but the database writes skipped (where the cost
   is), and with its ``submit``/``submit_durable`` swapped for no-ops; blocks of turns
   rotate between the four so drift hits all alike;
2. events/s sustained by the writer: a burst of events submitted at once, timed until the
   last is spooled, chained and committed;
3. query p95: ``GET /v1/audit/events`` pages of 100 with each filter, over a tenant with
   ``--events`` (default 1,000,000) chained events seeded in bulk, next to a second tenant;
4. the summary and fairness reports over that tenant's 30-day window, timed;
5. export: a 100,000-event NDJSON export streamed, its rate and peak traced memory.

    .venv/bin/python bench/audit.py [--events 1000000] [--turns 3000] [--queries 40]
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_audit \
        .venv/bin/python bench/audit.py

Targets: <= 1 ms p50 added per turn; query p95 <= 100 ms. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvloop
from harness import ROOT, free_port, percentile, wait_ready

sys.path.insert(0, str(ROOT))

from sqlalchemy import select

from app.audit.checkpoints import signing_key
from app.audit.events import AuditScope
from app.audit.export import export_events
from app.audit.models import AuditEvent
from app.audit.query import EventFilter
from app.db import utcnow
from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings
from app.tenants.keys import Role, create_key
from app.tenants.service import create_tenant
from tests.support.audit_seed import seed_events

TURN = {"model": "bench", "messages": [{"role": "user", "content": "Where is my order 12345?"}]}
POLICY = ROOT / "bench" / "disclosure_only_policy.yaml"


async def new_tenant(app: Any) -> tuple[str, dict[Role, str]]:
    async with app.state.candor.sessionmaker() as session, session.begin():
        tenant = await create_tenant(session=session, name=f"bench-{uuid.uuid4().hex[:8]}")
        keys = {
            role: (await create_key(session=session, tenant_id=tenant.id, role=role)).key for role in Role
        }
    return tenant.id, keys


def row(label: str, values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
    return f"  {label:<34}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}   (n={len(values)})"


async def write_overhead(
    app: Any, client: httpx.AsyncClient, chat_key: str, turns: int, concurrency: int
) -> None:
    writer = app.state.candor.audit

    def noop(items: Any) -> None:
        return None

    async def noop_durable(items: Any) -> None:
        return None

    async def one_turn() -> float:
        headers = {"Authorization": f"Bearer {chat_key}", "X-Conversation-Id": f"b-{uuid.uuid4().hex}"}
        started = time.perf_counter()
        response = await client.post("/v1/chat/completions", json=TURN, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"turn failed: {response.status_code}")
        return elapsed

    spool = writer._spool  # the bench switches its acknowledgement mode between blocks

    # Three ways, in rotating blocks: the real writer with CANDOR_AUDIT_ACK=write (the
    # default: the reply waits for the spool write), the same with ack=fsync (the reply
    # waits for the fsync), and the writer swapped for a no-op.
    modes: dict[str, tuple[Any, Any] | str] = {
        "turn, audit on (ack=write)": "write",
        "turn, audit on (ack=fsync)": "fsync",
        "turn, spooled, database skipped": "spool-only",
        "turn, audit writer a no-op": (noop, noop_durable),
    }
    latencies: dict[str, list[float]] = {name: [] for name in modes}

    batches = writer._batches
    write_batch = batches.write_batch

    async def skip_database(session: Any, batch: Any) -> None:
        return None

    def use(mode: tuple[Any, Any] | str) -> None:
        writer.__dict__.pop("submit", None)
        writer.__dict__.pop("submit_durable", None)
        batches.write_batch = write_batch
        if mode == "spool-only":  # where the cost is: the spool, or the database writes
            spool._ack = "write"
            batches.write_batch = skip_database
        elif isinstance(mode, str):
            spool._ack = mode
        else:
            writer.submit, writer.submit_durable = mode

    for _ in range(50):  # warm-up
        await one_turn()
    block = 50
    for index in range(max(3, turns // block)):
        name = list(modes)[index % len(modes)]
        use(modes[name])
        target = latencies[name]

        async def worker(target: list[float] = target) -> None:
            for _ in range(block // concurrency or 1):
                target.append(await one_turn())

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    use("write")
    await writer.flush()
    print(f"write overhead per turn, {concurrency} in flight (ms)   p50      p95      p99")
    for name, values in latencies.items():
        print(row(name, values))
    baseline = percentile(latencies["turn, audit writer a no-op"], 50)
    added = percentile(latencies["turn, audit on (ack=write)"], 50) - baseline
    with_fsync = percentile(latencies["turn, audit on (ack=fsync)"], 50) - baseline
    spooled = percentile(latencies["turn, spooled, database skipped"], 50) - baseline
    print(f"  added by the audit trail, p50: {added:.3f} ms with ack=write (the default; target <= 1 ms),")
    print(f"  {with_fsync:.3f} ms with ack=fsync; of it, the spool alone: {spooled:.3f} ms")


async def writer_rate(app: Any, tenant_id: str, count: int) -> None:
    writer = app.state.candor.audit
    scope = AuditScope(tenant_id=tenant_id, request_id="req_bench", conversation_id="bench-rate")
    events = [
        scope.event("guardrail.decision", actor="pii", guardrail="pii", action="allow", latency_ms=0.5)
        for _ in range(count)
    ]
    started = time.perf_counter()
    for start in range(0, count, 500):
        writer.submit(events[start : start + 500])
        await asyncio.sleep(0)
    await writer.flush()
    elapsed = time.perf_counter() - started
    print(
        f"writer: {count} events spooled, chained and committed in {elapsed:.2f} s"
        f" = {count / elapsed:,.0f} events/s"
    )


async def sample(app: Any, tenant_id: str, column: Any, n: int) -> list[str]:
    async with app.state.candor.sessionmaker() as session:
        query = (
            select(column)
            .where(AuditEvent.tenant_id == tenant_id, AuditEvent.id % 997 == 0, column.is_not(None))
            .limit(n)
        )
        return [str(value) for value in (await session.scalars(query)).all()]


async def query_p95(app: Any, client: httpx.AsyncClient, tenant_id: str, auditor: str, queries: int) -> None:
    rng = random.Random(3)
    conversations = await sample(app, tenant_id, AuditEvent.conversation_id, queries)
    pseudonyms = await sample(app, tenant_id, AuditEvent.customer_pseudonym, queries)
    middle = utcnow() - timedelta(days=15)
    headers = {"Authorization": f"Bearer {auditor}"}

    def window() -> dict[str, str]:
        start = middle + timedelta(minutes=rng.randint(0, 600))
        return {"since": start.isoformat(), "until": (start + timedelta(hours=1)).isoformat()}

    cases: dict[str, Any] = {
        "no filter": lambda: {},
        "conversation_id": lambda: {"conversation_id": rng.choice(conversations)},
        "customer_pseudonym": lambda: {"customer_pseudonym": rng.choice(pseudonyms)},
        "guardrail=pii": lambda: {"guardrail": "pii"},
        "action=redact": lambda: {"action": "redact"},
        "guardrail+action=escalate": lambda: {"guardrail": "human_request", "action": "escalate"},
        "reason_code=customer_request": lambda: {"reason_code": "customer_request"},
        "event_type=handoff.queued": lambda: {"event_type": "handoff.queued"},
        "time range (1 h)": window,
        "guardrail=pii + time range": lambda: {"guardrail": "pii", **window()},
    }
    print("query: GET /v1/audit/events, limit=100 (ms)     p50      p95      p99")
    everything: list[float] = []
    for label, params in cases.items():
        latencies: list[float] = []
        for index in range(queries):
            query = {"limit": 100, **params()}
            started = time.perf_counter()
            response = await client.get("/v1/audit/events", params=query, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"query failed: {response.status_code} {response.text[:200]}")
            if index % 4 == 3 and response.json()["next_cursor"]:  # and the next page, by keyset
                response = await client.get(
                    "/v1/audit/events",
                    params={**query, "cursor": response.json()["next_cursor"]},
                    headers=headers,
                )
            latencies.append((time.perf_counter() - started) * 1000 / (2 if index % 4 == 3 else 1))
        everything.extend(latencies)
        print(row(label, latencies))
    print(row("all filtered pages", everything))
    print(f"  query p95: {percentile(everything, 95):.1f} ms  (target <= 100 ms)")


async def report_times(client: httpx.AsyncClient, auditor: str) -> None:
    headers = {"Authorization": f"Bearer {auditor}"}
    for path, params in (
        ("summary", {"period": "day"}),
        ("summary", {"period": "week"}),
        ("fairness", {"segment": "channel"}),
        ("fairness", {"segment": "locale"}),
    ):
        started = time.perf_counter()
        response = await client.get(f"/v1/audit/reports/{path}", params=params, headers=headers)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"report failed: {response.status_code} {response.text[:200]}")
        print(f"report {path} {params}: {elapsed:.2f} s over the 30-day window")


async def export_rate(app: Any, tenant_id: str) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    size = 0
    async for chunk in export_events(
        sessionmaker=app.state.candor.sessionmaker,
        tenant_id=tenant_id,
        filters=EventFilter(),
        content="ndjson",
        signing_key=signing_key(app.state.candor.keys),
    ):
        size += len(chunk)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"export: {size / 1e6:.1f} MB NDJSON in {elapsed:.1f} s (tracing on),"
        f" peak traced memory {peak / 1e6:.1f} MB"
    )


async def main(args: argparse.Namespace, backend_url: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="candor-bench-audit-"))
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{workdir / 'candor.db'}"
    print(f"database: {database_url.split('://')[0]}")
    await upgrade(database_url)
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        env="development",
        backend_kind="openai",
        backend_url=backend_url,
        policy_file=POLICY,
        audit_spool_dir=workdir / "spool",
        log_level="WARNING",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://candor.bench", timeout=120
        ) as client:
            tenant_id, keys = await new_tenant(app)
            for concurrency in args.concurrency:
                await write_overhead(app, client, keys[Role.CHAT], args.turns, concurrency)
            await writer_rate(app, tenant_id, args.writer_events)

            big, big_keys = await new_tenant(app)
            neighbour, _ = await new_tenant(app)
            started = time.perf_counter()
            seeded = await seed_events(app.state.candor.sessionmaker, tenant_id=big, count=args.events)
            await seed_events(app.state.candor.sessionmaker, tenant_id=neighbour, count=args.events // 10)
            elapsed = time.perf_counter() - started
            print(
                f"seeded {seeded:,} chained events"
                f" (+{args.events // 10:,} of another tenant) in {elapsed:.0f} s"
            )
            await query_p95(app, client, big, big_keys[Role.AUDITOR], args.queries)
            await report_times(client, big_keys[Role.AUDITOR])

            exported, _ = await new_tenant(app)
            await seed_events(app.state.candor.sessionmaker, tenant_id=exported, count=args.export_events)
            await export_rate(app, exported)


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000, help="events of the queried tenant")
    parser.add_argument("--turns", type=int, default=3000, help="turns per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--queries", type=int, default=40, help="queries per filter")
    parser.add_argument("--writer-events", type=int, default=50_000)
    parser.add_argument("--export-events", type=int, default=100_000)
    args = parser.parse_args()
    port = free_port()
    backend = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "zero_latency_backend.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/v1/models", backend)
        # uvloop: the loop `candor serve` runs on (uvicorn loop="uvloop").
        uvloop.run(main(args, f"http://127.0.0.1:{port}/v1"))
    finally:
        backend.terminate()
        backend.wait(timeout=15)


if __name__ == "__main__":
    run()
