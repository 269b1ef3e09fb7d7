"""``record_turns``: a batch of turns lands with contiguous sequence numbers and the right
counters, whether its conversations are new (inserted with their counters), stored before
(advanced in place) or another tenant's (refused), on both databases."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.conversations import service as conversations
from app.conversations.models import Conversation, Message
from app.conversations.service import AuthorKind, TurnWrite
from tests.conftest import new_tenant

CUSTOMER, AI = AuthorKind.CUSTOMER, AuthorKind.AI


def _conversation(tenant_id: str) -> Conversation:
    return conversations.start(
        tenant_id=tenant_id,
        conversation_id=f"conv-{uuid.uuid4().hex[:12]}",
        customer_id=None,
        customer_pseudonym=None,
        segments=conversations.Segments(channel="web"),
    )


def _turn(conversation: Conversation, *, is_new: bool, state: dict[str, Any] | None = None) -> TurnWrite:
    return TurnWrite(
        conversation=conversation,
        entries=((CUSTOMER, "where is my order?"), (AI, "it ships today")),
        ai_turn=True,
        is_new=is_new,
        guardrail_state=state,
    )


async def _write(sessions: async_sessionmaker[AsyncSession], turns: list[TurnWrite]) -> dict[str, int]:
    async with sessions() as session, session.begin():
        return await conversations.record_turns(session=session, turns=turns)


async def _stored(sessions: async_sessionmaker[AsyncSession], conversation_id: str) -> tuple[Any, list[int]]:
    async with sessions() as session:
        row = await session.get(Conversation, conversation_id)
        seqs = await session.scalars(
            select(Message.seq).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
        return row, list(seqs)


async def test_new_conversations_are_stored_with_their_counters(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    tenant = await new_tenant(database_url)
    first, second = _conversation(tenant.id), _conversation(tenant.id)
    # Two turns of `first` in one batch (the second was answered before the first was
    # written), one of `second` with detector state.
    written = await _write(
        sessions,
        [
            _turn(first, is_new=True),
            _turn(second, is_new=True, state={"frustration": {"n": 1}}),
            _turn(first, is_new=True, state={"loop": {"n": 2}}),
        ],
    )
    assert written == {first.id: 4, second.id: 2}
    row, seqs = await _stored(sessions, first.id)
    assert seqs == [1, 2, 3, 4]
    assert (row.next_seq, row.ai_turns, row.guardrail_state) == (5, 2, {"loop": {"n": 2}})
    row, seqs = await _stored(sessions, second.id)
    assert seqs == [1, 2]
    assert (row.next_seq, row.ai_turns, row.guardrail_state) == (3, 1, {"frustration": {"n": 1}})


async def test_stored_conversations_advance_and_keep_their_state_unless_changed(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    tenant = await new_tenant(database_url)
    conversation = _conversation(tenant.id)
    await _write(sessions, [_turn(conversation, is_new=True, state={"loop": {"n": 1}})])
    assert await _write(sessions, [_turn(conversation, is_new=False)]) == {conversation.id: 4}
    row, seqs = await _stored(sessions, conversation.id)
    assert seqs == [1, 2, 3, 4]
    assert (row.next_seq, row.ai_turns, row.guardrail_state) == (5, 2, {"loop": {"n": 1}})
    await _write(sessions, [_turn(conversation, is_new=False, state={"loop": {"n": 3}})])
    row, _ = await _stored(sessions, conversation.id)
    assert (row.next_seq, row.guardrail_state) == (7, {"loop": {"n": 3}})


async def test_a_conversation_stored_first_by_a_racing_request_is_advanced_not_reset(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    tenant = await new_tenant(database_url)
    conversation = _conversation(tenant.id)
    # Another request (here: the vault storing new PII values) stored it and a turn first.
    async with sessions() as session, session.begin():
        await conversations.ensure_stored(session=session, conversation=conversation)
    await _write(sessions, [_turn(conversation, is_new=True)])
    assert await _write(sessions, [_turn(conversation, is_new=True)]) == {conversation.id: 4}
    row, seqs = await _stored(sessions, conversation.id)
    assert seqs == [1, 2, 3, 4]
    assert (row.next_seq, row.ai_turns) == (5, 2)


async def test_another_tenants_conversation_id_is_refused(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    owner, intruder = await new_tenant(database_url), await new_tenant(database_url)
    conversation = _conversation(owner.id)
    await _write(sessions, [_turn(conversation, is_new=True)])
    taken = conversations.start(
        tenant_id=intruder.id,
        conversation_id=conversation.id,
        customer_id=None,
        customer_pseudonym=None,
        segments=conversations.Segments(),
    )
    mine = _conversation(intruder.id)
    written = await _write(sessions, [_turn(taken, is_new=True), _turn(mine, is_new=True)])
    assert written == {mine.id: 2}
    row, seqs = await _stored(sessions, conversation.id)
    assert row.tenant_id == owner.id and seqs == [1, 2] and row.next_seq == 3
