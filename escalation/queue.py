"""Reading the queue and transcripts (no state changes here)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation, Message
from app.conversations.service import AuthorKind
from app.errors import NotFound
from escalation.models import Handoff
from escalation.states import OPEN_STATUSES, HandoffStatus

# Set in a conversation's ``guardrail_state`` when a hand-back left a note for the bot, so
# the chat layer asks ``bot_context_notes`` only then (and clears it after the bot's turn).
HANDBACK_NOTE = "handback_note"


async def get(*, session: AsyncSession, tenant_id: str, handoff_id: str, lock: bool = False) -> Handoff:
    query = select(Handoff).where(Handoff.id == handoff_id, Handoff.tenant_id == tenant_id)
    if lock:  # FOR UPDATE on PostgreSQL; SQLite has one writer (and the write gate) anyway
        query = query.with_for_update()
    handoff = (await session.scalars(query.execution_options(populate_existing=True))).one_or_none()
    if handoff is None:  # another tenant's handoff is indistinguishable from a missing one
        raise NotFound("no such handoff")
    return handoff


async def open_handoff(*, session: AsyncSession, conversation_id: str) -> Handoff | None:
    return (
        await session.scalars(
            select(Handoff).where(
                Handoff.conversation_id == conversation_id,
                Handoff.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
    ).one_or_none()


async def list_queue(
    *,
    session: AsyncSession,
    tenant_id: str,
    statuses: Sequence[HandoffStatus] = OPEN_STATUSES,
    assigned_to: str | None = None,
    unassigned: bool = False,
    limit: int = 100,
) -> tuple[list[Handoff], dict[str, int]]:
    """Handoffs by priority, then oldest first; and the tenant's count per status."""
    query = select(Handoff).where(
        Handoff.tenant_id == tenant_id, Handoff.status.in_([s.value for s in statuses])
    )
    if assigned_to is not None:
        query = query.where(Handoff.assigned_agent == assigned_to)
    if unassigned:
        query = query.where(Handoff.assigned_agent.is_(None))
    rows = await session.scalars(
        query.order_by(Handoff.priority, Handoff.created_at, Handoff.id).limit(limit)
    )
    counted = await session.execute(
        select(Handoff.status, func.count()).where(Handoff.tenant_id == tenant_id).group_by(Handoff.status)
    )
    counts = {status.value: 0 for status in HandoffStatus}
    counts.update({status: count for status, count in counted.all()})
    return list(rows), counts


async def transcript(
    *, session: AsyncSession, conversation_id: str, after: int = 0, limit: int = 500, customer_view: bool
) -> list[Message]:
    """The conversation's messages in order; the customer's view leaves out private notes."""
    query = select(Message).where(Message.conversation_id == conversation_id, Message.seq > after)
    if customer_view:
        query = query.where(Message.private.is_(False))
    return list(await session.scalars(query.order_by(Message.seq).limit(limit)))


async def bot_context_notes(*, session: AsyncSession, conversation_id: str) -> list[str]:
    """Hand-back notes written since the bot last answered, oldest first: the chat layer
    adds them to the backend context (a system message) so the bot knows what happened."""
    last_ai = (
        select(func.coalesce(func.max(Message.seq), 0))
        .where(Message.conversation_id == conversation_id, Message.author_kind == AuthorKind.AI.value)
        .scalar_subquery()
    )
    rows = await session.scalars(
        select(Message.content)
        .where(
            Message.conversation_id == conversation_id,
            Message.author_kind == AuthorKind.SYSTEM.value,
            Message.private.is_(True),
            Message.seq > last_ai,
        )
        .order_by(Message.seq)
    )
    return list(rows)


async def conversation_of(*, session: AsyncSession, tenant_id: str, conversation_id: str) -> Conversation:
    conversation = (
        await session.scalars(
            select(Conversation)
            .where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if conversation is None:
        raise NotFound("no such conversation")
    return conversation
