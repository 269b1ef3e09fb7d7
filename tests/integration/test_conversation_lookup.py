"""The turn's conversation lookup returns exactly what the ORM returns, on both databases
(on SQLite it reads through its own one-hop connection), and keeps tenants apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from app.conversations import service as conversations
from app.conversations.lookup import ConversationLookup
from app.conversations.models import Conversation
from app.db import create_engine, create_sessionmaker
from app.errors import NotFound
from tests.conftest import TenantKeys, new_tenant


@pytest.fixture
async def lookup_and_sessions(database_url: str) -> AsyncIterator[tuple[ConversationLookup, object]]:
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    lookup = ConversationLookup(engine=engine, sessionmaker=sessionmaker)
    try:
        yield lookup, sessionmaker
    finally:
        lookup.close()
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
