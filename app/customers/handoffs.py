"""What a customer's choices do to their open handoffs.

Opting in again withdraws the customer's own requests for a person that nobody has
picked up yet (queued, reason ``customer_request``): the latest choice wins, and the
next turn goes to the bot. A conversation a person already holds stays with them; they
hand it back. Erasure closes every open handoff of the customer before their data goes.
Both move handoffs through ``escalation.store.move``, the one place state changes.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation
from app.conversations.service import AuthorKind
from app.db import utcnow
from escalation.models import Handoff
from escalation.states import OPEN_STATUSES, Event, HandoffStatus
from escalation.store import Change, move, post, record


async def open_handoffs(*, session: AsyncSession, conversation_ids: list[str]) -> list[Handoff]:
    if not conversation_ids:
        return []
    rows = await session.scalars(
        select(Handoff)
        .where(
            Handoff.conversation_id.in_(conversation_ids),
            Handoff.status.in_([status.value for status in OPEN_STATUSES]),
        )
        .order_by(Handoff.created_at)
    )
    return list(rows)


async def withdraw_requests(
    *,
    session: AsyncSession,
    conversations: list[Conversation],
    notice: Callable[[Conversation], str] | None,
    request_id: str | None,
) -> list[Change]:
    """Closes the customer's queued requests for a person (see the module docstring);
    ``notice(conversation)`` is posted to the customer when given."""
    return await _resolve_open(
        session=session,
        conversations=conversations,
        only=lambda h: h.status == HandoffStatus.QUEUED and h.reason_code == "customer_request",
        notice=notice,
        actor="customer",
        why="consent_opt_in",
        request_id=request_id,
    )


async def close_for_erasure(
    *, session: AsyncSession, conversations: list[Conversation], request_id: str | None
) -> list[Change]:
    """Closes every open handoff of the erased customer, so that agents' consoles drop
    it; nothing is posted (the transcript is about to go)."""
    return await _resolve_open(
        session=session,
        conversations=conversations,
        only=lambda h: True,
        notice=None,
        actor="candor",
        why="erasure",
        request_id=request_id,
    )


async def _resolve_open(
    *,
    session: AsyncSession,
    conversations: list[Conversation],
    only: Callable[[Handoff], bool],
    notice: Callable[[Conversation], str] | None,
    actor: str,
    why: str,
    request_id: str | None,
) -> list[Change]:
    by_id = {conversation.id: conversation for conversation in conversations}
    changes = []
    for handoff in await open_handoffs(session=session, conversation_ids=list(by_id)):
        if not only(handoff):
            continue
        conversation = by_id[handoff.conversation_id]
        mode = await move(
            session=session,
            conversation=conversation,
            handoff=handoff,
            event=Event.RESOLVE,
            holder=handoff.assigned_agent,  # compare-and-set: a racing claim wins, we get 409
            resolved_at=utcnow(),
        )
        seq = await post(session, conversation, AuthorKind.SYSTEM, notice(conversation)) if notice else None
        change = Change(handoff=handoff)
        record(
            change,
            conversation,
            "handoff.resolved",
            actor=actor,
            request_id=request_id,
            mode=mode,
            seq=seq,
            details={"why": why},
        )
        changes.append(change)
    return changes
