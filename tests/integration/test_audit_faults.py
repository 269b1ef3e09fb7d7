"""Durability under faults: the audit store goes away mid-traffic and comes back, the
database connection is cut, and a real ``candor serve`` is killed with SIGKILL.

"Acknowledged" (docs/audit-integrity.md): a turn whose reply the client received. Every
acknowledged turn must end up with all of its events in the database, exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import text

from app.audit.checkpoints import public_key_hex
from app.audit.events import AuditScope
from app.audit.spool import Spool
from app.audit.verify import verify_tenant
from app.audit.writer import AuditWriter
from app.crypto import Keys
from app.db import WriteGate, create_engine, create_sessionmaker
from guardrails.policy import DEFAULT_POLICY_PATH
from tests.conftest import (
    PG_URL,
    TenantKeys,
    flush_audit,
    fresh_database,
    make_settings,
    new_tenant,
    running_app,
)
from tests.support.server import candor_server
from tests.support.tcp_proxy import TcpProxy

KEYS = Keys.from_secret(make_settings("sqlite+aiosqlite://").secret_key.get_secret_value())


def _policy_file(tmp_path: Path, on_store_failure: str) -> Path:
    path = tmp_path / f"policy-{on_store_failure}.yaml"
    path.write_text(
        DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
        + f"\naudit:\n  on_store_failure: {on_store_failure}\n",
        encoding="utf-8",
    )
    return path


async def _turn(client: httpx.AsyncClient, tenant_headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/v1/chat/completions",
        headers={**tenant_headers, "X-Conversation-Id": f"conv-{uuid.uuid4().hex[:12]}"},
        json={"model": "demo", "messages": [{"role": "user", "content": "What are your opening hours?"}]},
    )


async def _events_by_request(database_url: str, tenant_id: str) -> dict[str, dict[str, int]]:
    """request id -> {event type: count}."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT request_id, event_type, count(*) FROM audit_events WHERE tenant_id = :t"
                    " GROUP BY request_id, event_type"
                ),
                {"t": tenant_id},
            )
            counts: dict[str, dict[str, int]] = {}
            for request_id, event_type, count in rows:
                counts.setdefault(request_id, {})[event_type] = count
            return counts
    finally:
        await engine.dispose()


async def _verify(database_url: str, tenant_id: str) -> Any:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await verify_tenant(session, tenant_id, public_key_hex(KEYS))
    finally:
        await engine.dispose()


@asynccontextmanager
async def _audit_table_away(database_url: str) -> AsyncIterator[None]:
    """The audit store cannot be written (the rest of the database still works)."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
        yield
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
        await engine.dispose()


async def _until(condition: Any, *, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def _shape(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items()))


async def test_spool_policy_serves_through_an_audit_outage_and_loses_no_event(
    database_url: str, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    settings = make_settings(
        database_url, policy_file=_policy_file(tmp_path, "spool"), audit_spool_dir=spool_dir
    )
    tenant = await new_tenant(database_url)
    async with running_app(settings) as (app, client):
        baseline = await _turn(client, tenant.headers())
        await flush_audit(app)
        async with _audit_table_away(database_url):
            during = [await _turn(client, tenant.headers()) for _ in range(8)]
            await _until(lambda: not app.state.candor.audit.store_available)
            # Acknowledged, so on disk: the spool holds at least these turns' events.
            spooled = sum(len(path.read_bytes().splitlines()) for path in spool_dir.glob("*.spool"))
        await flush_audit(app)

    assert baseline.status_code == 200
    assert [response.status_code for response in during] == [200] * 8
    counts = await _events_by_request(database_url, tenant.id)
    expected = _shape(counts[baseline.headers["x-request-id"]])
    assert expected["turn.answered"] == 1 and expected["backend.call"] == 1
    for response in during:
        assert _shape(counts[response.headers["x-request-id"]]) == expected
    assert spooled >= 8 * sum(expected.values())
    result = await _verify(database_url, tenant.id)
    assert result.ok, result.first_bad
    assert not list(spool_dir.glob("*.spool")), "everything reached the database; the spool is empty"


async def test_fail_closed_answers_no_ai_turn_without_its_events(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        database_url, policy_file=_policy_file(tmp_path, "fail_closed"), audit_spool_dir=tmp_path / "spool"
    )
    tenant = await new_tenant(database_url)
    async with running_app(settings) as (app, client):
        answered = [await _turn(client, tenant.headers())]
        await flush_audit(app)
        async with _audit_table_away(database_url):
            # The first turn after the outage began is answered (its events are spooled)
            # and its write fails; from then on no AI turn is answered.
            answered.append(await _turn(client, tenant.headers()))
            await _until(lambda: not app.state.candor.audit.store_available)
            refused = [await _turn(client, tenant.headers()) for _ in range(5)]
        await flush_audit(app)
        await _until(lambda: app.state.candor.audit.store_available)
        answered.append(await _turn(client, tenant.headers()))
        await flush_audit(app)

    assert [response.status_code for response in answered] == [200, 200, 200]
    for response in refused:
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "audit_unavailable"
    counts = await _events_by_request(database_url, tenant.id)
    expected = _shape(counts[answered[0].headers["x-request-id"]])
    for response in answered:
        assert _shape(counts[response.headers["x-request-id"]]) == expected
    for response in refused:
        events = counts[response.headers["x-request-id"]]
        assert events.get("turn.refused") == 1
        assert "backend.call" not in events and "turn.answered" not in events  # the bot was never called
    result = await _verify(database_url, tenant.id)
    assert result.ok, result.first_bad


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CANDOR_TEST_DATABASE_URL)")
async def test_a_cut_database_connection_loses_no_acknowledged_event(
    database_url: str, tmp_path: Path
) -> None:
    """Candor reaches PostgreSQL through a proxy that is cut mid-traffic and restored."""
    parts = urlsplit(database_url)
    proxy = TcpProxy(target_host=parts.hostname or "127.0.0.1", target_port=parts.port or 5432).start()
    netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
    proxied_url = urlunsplit(parts._replace(netloc=netloc))
    settings = make_settings(
        proxied_url, policy_file=_policy_file(tmp_path, "spool"), audit_spool_dir=tmp_path / "spool"
    )
    tenant = await new_tenant(database_url)
    responses: list[httpx.Response] = []
    failures: list[int] = []
    try:
        async with running_app(settings) as (app, client):
            restored = asyncio.Event()

            async def traffic() -> None:
                after = 0
                while after < 8:  # through the outage, then 8 more turns
                    try:
                        responses.append(await _turn(client, tenant.headers()))
                    except Exception:  # noqa: BLE001 - ASGITransport re-raises what became a 500
                        failures.append(1)  # not acknowledged
                    if restored.is_set():
                        after += 1
                    await asyncio.sleep(0.01)

            async def outage() -> None:
                await asyncio.sleep(0.3)
                proxy.cut()
                await asyncio.sleep(1.0)
                proxy.restore()
                restored.set()

            await asyncio.wait_for(asyncio.gather(traffic(), traffic(), outage()), timeout=60)
            await asyncio.wait_for(flush_audit(app), timeout=30)
    finally:
        proxy.stop()

    acknowledged = [response for response in responses if response.status_code == 200]
    assert len(acknowledged) >= 10
    assert failures or len(acknowledged) < len(responses), "the outage was felt"
    counts = await _events_by_request(database_url, tenant.id)
    expected = _shape(counts[acknowledged[0].headers["x-request-id"]])
    for response in acknowledged:
        assert _shape(counts[response.headers["x-request-id"]]) == expected
    result = await _verify(database_url, tenant.id)
    assert result.ok, result.first_bad


def test_kill_9_during_traffic_loses_no_acknowledged_event(tmp_path: Path) -> None:
    """A real ``candor serve`` is SIGKILLed while turns are in flight; after a restart
    (which replays the spool) every acknowledged turn has all its events, once."""
    spool_dir = tmp_path / "spool"
    env = {
        "CANDOR_AUDIT_SPOOL_DIR": str(spool_dir),
        # Slow database batches: most events are only in the spool when the process dies.
        "CANDOR_AUDIT_FLUSH_INTERVAL_S": "0.5",
        "CANDOR_NLP_PROCESSES": "0",
    }
    with fresh_database(tmp_path) as database_url:
        acknowledged: list[str] = []
        with candor_server(database_url, tmp_path, **env) as server:
            headers = {"Authorization": f"Bearer {server.keys['chat']}"}
            tenant_id = asyncio.run(_tenant_id(database_url, "demo"))

            async def traffic() -> None:
                enough = asyncio.Event()
                async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:

                    async def one_client() -> None:
                        for _ in range(40):
                            try:
                                response = await _turn(client, headers)
                            except httpx.HTTPError:
                                return  # the server is gone: not acknowledged
                            if response.status_code == 200:
                                acknowledged.append(response.headers["x-request-id"])
                                if len(acknowledged) >= 12:
                                    enough.set()

                    async def killer() -> None:
                        await enough.wait()
                        os.kill(server.process.pid, signal.SIGKILL)

                    await asyncio.gather(one_client(), one_client(), one_client(), killer())

            asyncio.run(traffic())
            server.process.wait(timeout=10)
            assert server.process.returncode == -signal.SIGKILL
        assert list(spool_dir.glob("*.spool")), "the dead process left its spool behind"

        with candor_server(database_url, tmp_path, **{**env, "CANDOR_AUDIT_FLUSH_INTERVAL_S": "0.05"}):
            counts = asyncio.run(_wait_for_requests(database_url, tenant_id, acknowledged))

        result = asyncio.run(_verify(database_url, tenant_id))

    assert len(acknowledged) >= 12
    expected = _shape(counts[acknowledged[0]])
    assert expected["turn.answered"] == 1
    for request_id in acknowledged:
        assert _shape(counts[request_id]) == expected, request_id
    assert result.ok, result.first_bad


async def _tenant_id(database_url: str, name: str) -> str:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return str(
                (
                    await connection.execute(text("SELECT id FROM tenants WHERE name = :n"), {"n": name})
                ).scalar_one()
            )
    finally:
        await engine.dispose()


async def _wait_for_requests(
    database_url: str, tenant_id: str, request_ids: list[str]
) -> dict[str, dict[str, int]]:
    deadline = time.monotonic() + 30
    while True:
        counts = await _events_by_request(database_url, tenant_id)
        if all("turn.answered" in counts.get(request_id, {}) for request_id in request_ids):
            await asyncio.sleep(0.5)  # let the last batch land
            return await _events_by_request(database_url, tenant_id)
        if time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.2)


__all__ = ["TenantKeys"]


async def test_a_shutdown_while_the_store_is_away_keeps_the_events_for_the_next_start(
    database_url: str, tmp_path: Path
) -> None:
    tenant = await new_tenant(database_url)
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    sqlite = database_url.startswith("sqlite")

    def writer() -> AuditWriter:
        return AuditWriter(
            sessionmaker=sessionmaker,
            gate=WriteGate(sqlite=sqlite),
            batch_size=50,
            flush_interval_s=0.01,
            spool=Spool(directory=tmp_path, database_url=database_url),
            stop_timeout_s=0.5,
        )

    scope = AuditScope(tenant_id=tenant.id, request_id="req_shutdown")
    events = [scope.event("turn.answered", actor="candor", action="ai") for _ in range(30)]
    try:
        async with _audit_table_away(database_url):
            first = writer()
            await first.start()
            await first.submit_durable(events)  # acknowledged: on disk
            started = time.monotonic()
            await first.stop()  # the store is away: gives up, keeps the spool
            stopped_in = time.monotonic() - started
            left = _spool_files(tmp_path)
        second = writer()
        replayed = await second.start()
        await second.flush()
        await second.stop()
    finally:
        await engine.dispose()

    assert stopped_in < 8
    assert len(left) == 1
    assert replayed == 30
    counts = await _events_by_request(database_url, tenant.id)
    assert counts["req_shutdown"] == {"turn.answered": 30}
    assert (await _verify(database_url, tenant.id)).ok
    assert _spool_files(tmp_path) == []


def _spool_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.spool"))
