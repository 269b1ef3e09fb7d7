"""Twenty agents claim one handoff at the same moment: exactly one wins, nineteen get 409.

Through the API on whichever database the suite runs on; and on PostgreSQL also through
twenty separate sessions on their own connections, as twenty replicas would.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from app.conversations.models import Message
from app.db import create_engine, create_sessionmaker
from app.errors import Conflict
from app.tenants.keys import Principal, Role, create_key
from escalation import service
from escalation.models import Handoff
from tests.conftest import PG_URL, TenantKeys, make_settings, running_app
from tests.integration.test_handoffs_api import queued

AGENTS = 20


async def agent_keys(database_url: str, tenant: TenantKeys) -> list[tuple[str, str]]:
    """(key id, key) for AGENTS new agent keys of the tenant."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            minted = [
                await create_key(session=session, tenant_id=tenant.id, role=Role.AGENT, name=f"Agent {n}")
                for n in range(AGENTS)
            ]
    finally:
        await engine.dispose()
    return [(key.id, key.key) for key in minted]


async def claim_state(database_url: str, handoff_id: str) -> tuple[Any, int]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            handoff = await session.get(Handoff, handoff_id)
            assert handoff is not None
            joined = await session.scalar(
                select(func.count())
                .select_from(Message)
                .where(
                    Message.conversation_id == handoff.conversation_id, Message.content.like("% has joined%")
                )
            )
            return handoff, int(joined or 0)
    finally:
        await engine.dispose()


async def test_twenty_claims_through_the_api(database_url: str, tenant: TenantKeys) -> None:
    keys = await agent_keys(database_url, tenant)
    async with running_app(make_settings(database_url)) as (_, client):
        _, handoff_id = await queued(client, tenant)
        responses = await asyncio.gather(
            *(
                client.post(f"/v1/handoffs/{handoff_id}/claim", headers={"Authorization": f"Bearer {key}"})
                for _, key in keys
            )
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (AGENTS - 1)
    winner = next(key_id for (key_id, _), r in zip(keys, responses, strict=True) if r.status_code == 200)
    handoff, joined = await claim_state(database_url, handoff_id)
    assert handoff.status == "human" and handoff.assigned_agent == winner
    assert joined == 1


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CANDOR_TEST_DATABASE_URL)")
async def test_twenty_sessions_on_twenty_connections_on_postgresql(
    database_url: str, tenant: TenantKeys
) -> None:
    keys = await agent_keys(database_url, tenant)
    async with running_app(make_settings(database_url)) as (_, client):
        _, handoff_id = await queued(client, tenant)

    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    start = asyncio.Barrier(AGENTS)

    async def claim(key_id: str) -> str:
        agent = Principal(key_id=key_id, tenant_id=tenant.id, tenant_name=tenant.name, role=Role.AGENT)
        async with sessionmaker() as session:
            await session.connection()  # each session holds its own connection before the race
            await start.wait()
            try:
                await service.claim(session=session, tenant_id=tenant.id, handoff_id=handoff_id, agent=agent)
                await session.commit()
            except Conflict:
                await session.rollback()
                return "409"
        return "200"

    try:
        results = await asyncio.gather(*(claim(key_id) for key_id, _ in keys))
        connections = engine.pool.checkedout()
    finally:
        await engine.dispose()
    assert sorted(results) == ["200"] + ["409"] * (AGENTS - 1)
    assert connections == 0
    handoff, joined = await claim_state(database_url, handoff_id)
    assert handoff.status == "human"
    assert joined == 1
