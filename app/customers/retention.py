"""Retention: a tenant's messages and vault entries older than its policy allows are
purged, by ``candor purge`` and by a periodic task, and each purge is audited
(``data.purged``, with counts and the periods applied; never an id of a customer).

Policy ``retention.messages_days``: messages older than that go, and so do conversations
idle that long (their transcript, vault entries and handoffs with them), except in
conversations a person holds or is about to hold (they are purged once closed).
``retention.vault_days``: encrypted originals older than that go; their tokens stay in
the transcript, unrestorable. Consent records are kept:
they are the proof of what the customer chose (erasure removes them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import delete, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.events import AuditScope
from app.conversations.models import Conversation, Message
from app.conversations.vault_models import VaultEntry
from app.db import WriteGate
from app.tenants.models import Tenant
from app.tenants.policies import latest_version
from escalation.models import Handoff
from guardrails.policy import Policy, RetentionPolicy, parse_policy

log = logging.getLogger(__name__)

_CHUNK = 500
_HELD = ("queued", "human")  # conversations a person holds are never purged from under them

PolicyOf = Callable[[AsyncSession, str], Awaitable[Policy]]


class AuditSink(Protocol):
    def submit(self, events: Iterable[dict[str, Any]]) -> object: ...


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    messages: int = 0
    conversations: int = 0
    vault_entries: int = 0

    @property
    def total(self) -> int:
        return self.messages + self.conversations + self.vault_entries


@dataclass(frozen=True, slots=True)
class TenantPurge:
    tenant_id: str
    tenant_name: str
    counts: PurgeCounts


async def purge_tenant(
    *, session: AsyncSession, tenant_id: str, retention: RetentionPolicy, now: datetime
) -> PurgeCounts:
    """Deletes what ``retention`` no longer allows, in the caller's write transaction."""
    messages = conversations = vault_entries = 0
    if retention.messages_days is not None:
        cutoff = now - timedelta(days=retention.messages_days)
        idle = select(Conversation.id).where(
            Conversation.tenant_id == tenant_id,
            Conversation.updated_at < cutoff,
            Conversation.mode.not_in(_HELD),
        )
        idle_ids = list((await session.scalars(idle)).all())
        for start in range(0, len(idle_ids), _CHUNK):  # bounded IN lists
            ids = idle_ids[start : start + _CHUNK]
            messages += await _delete(session, delete(Message).where(Message.conversation_id.in_(ids)))
            vault_entries += await _delete(
                session, delete(VaultEntry).where(VaultEntry.conversation_id.in_(ids))
            )
            await _delete(session, delete(Handoff).where(Handoff.conversation_id.in_(ids)))
            conversations += await _delete(session, delete(Conversation).where(Conversation.id.in_(ids)))
        held = select(Conversation.id).where(
            Conversation.tenant_id == tenant_id, Conversation.mode.in_(_HELD)
        )
        messages += await _delete(
            session,
            delete(Message).where(
                Message.tenant_id == tenant_id,
                Message.created_at < cutoff,
                Message.conversation_id.not_in(held),
            ),
        )
    if retention.vault_days is not None:
        cutoff = now - timedelta(days=retention.vault_days)
        vault_entries += await _delete(
            session,
            delete(VaultEntry).where(VaultEntry.tenant_id == tenant_id, VaultEntry.created_at < cutoff),
        )
    return PurgeCounts(messages=messages, conversations=conversations, vault_entries=vault_entries)


def purge_event(
    tenant_id: str, counts: PurgeCounts, retention: RetentionPolicy, *, actor: str
) -> dict[str, Any]:
    return AuditScope(tenant_id=tenant_id, request_id=None).event(
        "data.purged",
        actor=actor,
        action="purge",
        reason="data older than the tenant's retention period was deleted",
        details={
            **asdict(counts),
            "messages_days": retention.messages_days,
            "vault_days": retention.vault_days,
        },
    )


def stored_policies(default_document: str) -> PolicyOf:
    """Each tenant's latest stored policy, else ``default_document``: for ``candor purge``,
    which runs without the server's policy cache (and without building pipelines)."""
    default = parse_policy(default_document)

    async def policy_of(session: AsyncSession, tenant_id: str) -> Policy:
        latest = await latest_version(session=session, tenant_id=tenant_id)
        return parse_policy(latest.document) if latest is not None else default

    return policy_of


async def purge_all(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    gate: WriteGate,
    policy_of: PolicyOf,
    audit: AuditSink,
    now: datetime,
    tenant_name: str | None = None,
    actor: str = "candor:retention",
) -> list[TenantPurge]:
    """Purges every tenant (or the one named) in its own transaction; audits each purge
    that deleted something."""
    async with sessionmaker() as session:
        query = select(Tenant.id, Tenant.name).order_by(Tenant.name)
        if tenant_name is not None:
            query = query.where(Tenant.name == tenant_name)
        tenants = list((await session.execute(query)).all())
    results = []
    for tenant_id, name in tenants:
        async with gate.writing(sessionmaker) as session:
            retention = (await policy_of(session, tenant_id)).retention
            counts = await purge_tenant(session=session, tenant_id=tenant_id, retention=retention, now=now)
        if counts.total:
            audit.submit([purge_event(tenant_id, counts, retention, actor=actor)])
        results.append(TenantPurge(tenant_id=tenant_id, tenant_name=name, counts=counts))
    return results


class RetentionTask:
    """Runs ``purge`` every ``interval_s`` seconds (the first run one interval after
    start). A failed run is logged and tried again at the next interval."""

    def __init__(self, *, interval_s: float, purge: Callable[[], Awaitable[object]]) -> None:
        self._interval = interval_s
        self._purge = purge
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="retention-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._purge()
            except Exception as exc:  # noqa: BLE001 - the next run tries again
                log.warning("retention purge failed", extra={"error": type(exc).__name__})


async def _delete(session: AsyncSession, statement: Any) -> int:
    result = cast("CursorResult[Any]", await session.execute(statement))
    return max(result.rowcount or 0, 0)
