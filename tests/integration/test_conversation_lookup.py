"""The turn's conversation lookup returns exactly what the ORM returns, on both databases
(on SQLite it reads through its own one-hop connection, on PostgreSQL through the
one-round-trip reader), and keeps tenants apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update

from app.conversations import service as conversations
from app.conversations.lookup import ConversationLookup
from app.conversations.models import Conversation
from app.db import create_engine, create_sessionmaker
from app.errors import NotFound
from app.pg_reads import PgReader
from tests.conftest import PG_URL, TenantKeys, new_tenant


@pytest.fixture
async def lookup_and_sessions(database_url: str) -> AsyncIterator[tuple[ConversationLookup, object]]:
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    pg_reader = None if database_url.startswith("sqlite") else PgReader(database_url=database_url)
    lookup = ConversationLookup(engine=engine, sessionmaker=sessionmaker, pg_reader=pg_reader)
    try:
        yield lookup, sessionmaker
    finally:
        lookup.close()
        if pg_reader is not None:
            await pg_reader.close()
        await engine.dispose()


async def _store(sessionmaker: object, tenant: TenantKeys, conversation_id: str) -> None:
    conversation = conversations.start(
        tenant_id=tenant.id,
        conversation_id=conversation_id,
        customer_id="cust-1",
        customer_pseudonym="p" * 64,
        segments=conversations.Segments(channel="web", locale="fr-FR", region="EU"),
    )
    async with sessionmaker() as session, session.begin():  # type: ignore[operator]
        await conversations.ensure_stored(session=session, conversation=conversation)
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(mode="queued", ai_turns=3, guardrail_state={"loop": {"n": 2}, "x": [1.5, None]})
        )


async def test_lookup_equals_the_orm(
    lookup_and_sessions: tuple[ConversationLookup, object], database_url: str
) -> None:
    lookup, sessionmaker = lookup_and_sessions
    tenant = await new_tenant(database_url)
    await _store(sessionmaker, tenant, "conv-lookup-1")
    found = await lookup.find(tenant_id=tenant.id, conversation_id="conv-lookup-1")
    async with sessionmaker() as session:  # type: ignore[operator]
        expected = await session.get(Conversation, "conv-lookup-1")
    assert found is not None and expected is not None
    for column in Conversation.__table__.columns:
        assert getattr(found, column.key) == getattr(expected, column.key), column.key
    assert found.guardrail_state == {"loop": {"n": 2}, "x": [1.5, None]}
    assert found.mode == "queued" and found.ai_turns == 3
    assert isinstance(found.created_at, datetime) and found.created_at.tzinfo is UTC


async def test_lookup_sees_changes_committed_after_the_first_read(
    lookup_and_sessions: tuple[ConversationLookup, object], database_url: str
) -> None:
    lookup, sessionmaker = lookup_and_sessions
    tenant = await new_tenant(database_url)
    assert await lookup.find(tenant_id=tenant.id, conversation_id="conv-lookup-2") is None
    await _store(sessionmaker, tenant, "conv-lookup-2")
    found = await lookup.find(tenant_id=tenant.id, conversation_id="conv-lookup-2")
    assert found is not None and found.mode == "queued"
    async with sessionmaker() as session, session.begin():  # type: ignore[operator]
        await session.execute(
            update(Conversation).where(Conversation.id == "conv-lookup-2").values(mode="human")
        )
    again = await lookup.find(tenant_id=tenant.id, conversation_id="conv-lookup-2")
    assert again is not None and again.mode == "human"


async def test_another_tenants_conversation_is_not_found(
    lookup_and_sessions: tuple[ConversationLookup, object], database_url: str
) -> None:
    lookup, sessionmaker = lookup_and_sessions
    owner, other = await new_tenant(database_url), await new_tenant(database_url)
    await _store(sessionmaker, owner, "conv-lookup-3")
    with pytest.raises(NotFound):
        await lookup.find(tenant_id=other.id, conversation_id="conv-lookup-3")
    assert await lookup.find(tenant_id=owner.id, conversation_id=None) is None


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CANDOR_TEST_DATABASE_URL)")
async def test_a_read_connection_the_server_dropped_is_replaced(database_url: str) -> None:
    reader = PgReader(database_url=database_url, pool_size=1)
    statement = text("SELECT pg_backend_pid()")
    try:
        first = (await reader.fetchall(statement, {}))[0][0]
        # The server ends that connection (a restart, an administrator, a failover).
        engine = create_engine(database_url)
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await engine.dispose()
        second = (await reader.fetchall(statement, {}))[0][0]
        assert second != first
    finally:
        await reader.close()
