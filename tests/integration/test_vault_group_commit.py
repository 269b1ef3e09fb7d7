"""New PII values of concurrent turns are stored by group commit: fewer transactions than
turns, every turn's values stored (and readable with the right key) before its ``write``
returns, and a write that cannot be stored fails only its own turn. On both databases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.conversations.vault import Vault, VaultWrite
from app.db import WriteGate
from app.group_commit import GroupCommit
from guardrails.pii_tokens import PiiTokens
from tests.conftest import new_tenant


def _group_commit(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    write_many: Callable[[AsyncSession, Sequence[VaultWrite]], Awaitable[object]],
) -> GroupCommit[VaultWrite]:
    return GroupCommit(
        sessionmaker=sessions, gate=WriteGate(sqlite=database_url.startswith("sqlite")), write_many=write_many
    )


def _conversation(tenant_id: str, customer: str | None = None) -> Conversation:
    return conversations.start(
        tenant_id=tenant_id,
        conversation_id=f"conv-{uuid.uuid4().hex[:12]}",
        customer_id=customer,
        customer_pseudonym=f"pseudo-{customer}" if customer else None,
        segments=conversations.Segments(),
    )


def _tokens(*values: str) -> PiiTokens:
    tokens = PiiTokens()
    for value in values:
        tokens.token_for("EMAIL_ADDRESS", value)
    return tokens


async def test_concurrent_turns_share_transactions_and_all_values_are_stored(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    tenant = await new_tenant(database_url)
    vault = Vault(wrap_key=b"w" * 32)
    transactions: list[int] = []

    async def save_many(session: AsyncSession, writes: Sequence[VaultWrite]) -> None:
        transactions.append(len(writes))
        await vault.save_many(session=session, writes=writes)

    group = _group_commit(sessions, database_url, save_many)
    # 30 turns at once: anonymous new conversations, and two returning customers with
    # several conversations each (one subject key per customer).
    writes = [
        VaultWrite(
            _conversation(tenant.id, customer=None if i % 3 == 0 else f"c{i % 2}"),
            _tokens(f"person{i}@example.com", f"other{i}@example.org"),
            likely_new=True,
        )
        for i in range(30)
    ]
    await asyncio.gather(*(group.write(write) for write in writes))
    assert sum(transactions) == 30
    assert len(transactions) < 30  # shared
    async with sessions() as session:
        for i, write in enumerate(writes):
            loaded = await vault.load(session=session, conversation_id=write.conversation.id)
            assert sorted(value for _, _, value in loaded.entries()) == [
                f"other{i}@example.org",
                f"person{i}@example.com",
            ]


async def test_a_write_that_fails_fails_only_its_own_caller(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    tenant = await new_tenant(database_url)
    vault = Vault(wrap_key=b"w" * 32)
    bad = _conversation(tenant.id)

    async def save_many(session: AsyncSession, writes: Sequence[VaultWrite]) -> None:
        if any(write.conversation is bad for write in writes):
            raise RuntimeError("the store refused this one")
        await vault.save_many(session=session, writes=writes)

    group = _group_commit(sessions, database_url, save_many)
    good = [VaultWrite(_conversation(tenant.id), _tokens(f"ok{i}@example.com")) for i in range(5)]
    results = await asyncio.gather(
        *(group.write(write) for write in [*good[:2], VaultWrite(bad, _tokens("x@example.com")), *good[2:]]),
        return_exceptions=True,
    )
    assert [type(result).__name__ for result in results] == ["NoneType"] * 2 + ["RuntimeError"] + [
        "NoneType"
    ] * 3
    async with sessions() as session:
        for write in good:
            loaded = await vault.load(session=session, conversation_id=write.conversation.id)
            assert len(loaded.entries()) == 1
        assert (await vault.load(session=session, conversation_id=bad.id)).entries() == []


async def test_a_lone_write_is_committed_before_write_returns(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    tenant = await new_tenant(database_url)
    vault = Vault(wrap_key=b"w" * 32)
    group = _group_commit(
        sessions, database_url, lambda session, writes: vault.save_many(session=session, writes=writes)
    )
    write = VaultWrite(_conversation(tenant.id, customer="solo"), _tokens("solo@example.com"))
    await group.write(write)
    async with sessions() as session:
        loaded = await vault.load(session=session, conversation_id=write.conversation.id)
        stored = await session.get(Conversation, write.conversation.id)
    assert loaded.entries()[0][2] == "solo@example.com"
    assert stored is not None and stored.tenant_id == tenant.id
