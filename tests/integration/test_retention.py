"""Retention: data older than the tenant's policy allows is purged by ``candor purge`` and
by the server's periodic task, audited as ``data.purged``; conversations a person holds
are left alone, and younger data stays.

Sync tests where the CLI runs (it has its own event loop); rows are made old by moving
their timestamps back in the database, not by waiting.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.cli import main
from app.conversations.models import Conversation, Message
from app.conversations.vault_models import VaultEntry
from app.db import create_engine, create_sessionmaker, utcnow
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app

RETENTION = "\nretention:\n  messages_days: 30\n  vault_days: 7\n"


@dataclass
class Seeded:
    tenant: TenantKeys
    old: str  # idle for 40 days: goes whole
    recent: str  # its values are 10 days old: past vault_days, within messages_days
    held: str  # queued for a person, 40 days old: kept


async def say(
    client: httpx.AsyncClient, tenant: TenantKeys, text: str, conversation_id: str
) -> dict[str, Any]:
    response = await client.post(
        "/v1/chat/completions",
        json={
            "model": "m",
            "messages": [{"role": "user", "content": text}],
            "user": f"user-{conversation_id}",
        },
        headers=tenant.headers(Role.CHAT, **{"X-Conversation-Id": conversation_id}),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def seed(database_url: str, tag: str) -> Seeded:
    tenant = await new_tenant(database_url)
    seeded = Seeded(tenant=tenant, old=f"ret-old-{tag}", recent=f"ret-recent-{tag}", held=f"ret-held-{tag}")
    async with running_app(make_settings(database_url)) as (app, client):
        admin = tenant.headers(Role.ADMIN)
        document = (await client.get("/v1/policy", headers=admin)).json()["document"] + RETENTION
        assert (await client.put("/v1/policy", json={"document": document}, headers=admin)).status_code in (
            200,
            201,
        )
        for conversation_id in (seeded.old, seeded.recent, seeded.held):
            await say(client, tenant, "My e-mail is someone.old@example.com, thanks", conversation_id)
        await say(client, tenant, "I want to talk to a real person", seeded.held)
        await flush_audit(app)
    await age(database_url, seeded.old, days=40, conversation=True)
    await age(database_url, seeded.held, days=40, conversation=True)
    await age(database_url, seeded.recent, days=10, conversation=False)
    return seeded


async def age(database_url: str, conversation_id: str, *, days: int, conversation: bool) -> None:
    then = utcnow() - timedelta(days=days)
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(VaultEntry)
                .where(VaultEntry.conversation_id == conversation_id)
                .values(created_at=then)
            )
            if conversation:
                await session.execute(
                    update(Message).where(Message.conversation_id == conversation_id).values(created_at=then)
                )
                await session.execute(
                    update(Conversation).where(Conversation.id == conversation_id).values(updated_at=then)
                )
    finally:
        await engine.dispose()


async def counts(database_url: str, conversation_id: str) -> tuple[int, int, int]:
    """(conversation rows, messages, vault entries) of one conversation."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            found = await session.scalar(select(func.count()).where(Conversation.id == conversation_id))
            messages = await session.scalar(
                select(func.count()).where(Message.conversation_id == conversation_id)
            )
            values = await session.scalar(
                select(func.count()).where(VaultEntry.conversation_id == conversation_id)
            )
    finally:
        await engine.dispose()
    return int(found or 0), int(messages or 0), int(values or 0)


async def purge_events(database_url: str, tenant: TenantKeys) -> list[dict[str, Any]]:
    async with running_app(make_settings(database_url, retention_purge_interval_s=0)) as (_, client):
        response = await client.get(
            "/v1/audit/events", params={"event_type": "data.purged"}, headers=tenant.headers(Role.AUDITOR)
        )
        assert response.status_code == 200, response.text
        return list(response.json()["data"])


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("CANDOR_") and name != "CANDOR_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("CANDOR_DATABASE_URL", database_url)
    yield


def test_candor_purge_applies_the_tenants_retention_period(
    database_url: str, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = asyncio.run(seed(database_url, "cli"))
    assert asyncio.run(counts(database_url, seeded.old))[0] == 1

    assert main(["purge", "--tenant", seeded.tenant.name]) == 0
    printed = capsys.readouterr().out
    assert f"{seeded.tenant.name}: " in printed and "1 conversations" in printed

    assert asyncio.run(counts(database_url, seeded.old)) == (0, 0, 0)
    found, messages, values = asyncio.run(counts(database_url, seeded.recent))
    assert (found, values) == (1, 0) and messages >= 2  # the transcript stays, its values went
    found, messages, values = asyncio.run(counts(database_url, seeded.held))
    assert found == 1 and messages >= 2 and values == 0  # a person holds it: only old values went

    events = asyncio.run(purge_events(database_url, seeded.tenant))
    [event] = events
    assert event["actor"] == "cli:purge"
    assert event["details"]["conversations"] == 1 and event["details"]["vault_entries"] >= 3
    assert (event["details"]["messages_days"], event["details"]["vault_days"]) == (30, 7)

    # Nothing left to purge: no new event, nothing printed as deleted.
    assert main(["purge", "--tenant", seeded.tenant.name]) == 0
    assert "0 messages, 0 conversations, 0 vault entries" in capsys.readouterr().out
    assert len(asyncio.run(purge_events(database_url, seeded.tenant))) == 1


def test_an_unknown_tenant_is_an_error(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["purge", "--tenant", "no-such-tenant"]) == 1
    assert "no tenant named no-such-tenant" in capsys.readouterr().err


async def test_the_server_purges_periodically(database_url: str) -> None:
    seeded = await seed(database_url, "periodic")
    async with running_app(make_settings(database_url, retention_purge_interval_s=0.05)) as (app, _):
        for _ in range(200):  # bounded: at most ~10 s
            if (await counts(database_url, seeded.old))[0] == 0:
                break
            await asyncio.sleep(0.05)
        await flush_audit(app)
    assert await counts(database_url, seeded.old) == (0, 0, 0)
    assert (await counts(database_url, seeded.recent))[2] == 0
    events = await purge_events(database_url, seeded.tenant)
    assert [event["actor"] for event in events] == ["candor:retention"]
