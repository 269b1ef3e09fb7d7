"""The write primitives of the handoff domain: ``move`` (the one place state changes),
``post`` (appending a message) and ``Change`` (what to audit and announce afterwards).

``move`` asks ``escalation.states.transition`` whether the event may happen, then
compare-and-sets the handoff row (``WHERE status = <what was read>``) and the
conversation's mode. Two agents claiming at once, on one replica or two, cannot both
win: the loser's update matches no row (on PostgreSQL it first waits on the row lock
that ``SELECT ... FOR UPDATE`` took) and gets 409.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.events import AuditScope
from app.conversations.models import Conversation, Message
from app.conversations.service import AuthorKind
from app.db import table_of, utcnow
from app.errors import Conflict
from escalation.events import Notice
from escalation.models import Handoff
from escalation.states import Event, HandoffStatus, State, state_of, status_of, transition


class AuditSink(Protocol):
    def submit(self, items: Iterable[dict[str, Any]]) -> None: ...


class NoticeSink(Protocol):
    def publish(self, notices: list[Notice]) -> None: ...


@dataclass(slots=True)
class Change:
    handoff: Handoff
    created: bool = False
    audit: list[dict[str, Any]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def announce(self, *, audit: AuditSink, hub: NoticeSink) -> None:
        """Call after commit: audit what happened and tell the listeners."""
        if self.audit:
            audit.submit(self.audit)
        if self.notices:
            hub.publish(self.notices)


ANY: Any = object()


async def move(
    *,
    session: AsyncSession,
    conversation: Conversation,
    handoff: Handoff | None,
    event: Event,
    holder: str | None = ANY,
    **values: Any,
) -> State:
    """Applies ``event`` to the handoff (when there is one) and its conversation, or raises
    409. Both rows are compare-and-set against what was read, so a racing change loses."""
    current = state_of(HandoffStatus(handoff.status)) if handoff is not None else State(conversation.mode)
    new = transition(current, event)
    now = utcnow()
    if handoff is not None:
        criteria = [Handoff.id == handoff.id, Handoff.status == handoff.status]
        if holder is not ANY:
            criteria.append(
                Handoff.assigned_agent.is_(None) if holder is None else Handoff.assigned_agent == holder
            )
        moved = await session.execute(
            update(Handoff)
            .where(*criteria)
            .values(status=status_of(new).value, updated_at=now, **values)
            .returning(Handoff.id)
            .execution_options(synchronize_session="fetch")
        )
        if moved.scalar_one_or_none() is None:
            raise Conflict("the handoff was changed meanwhile; reload it", code="handoff_changed")
    changed = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.mode == current.value)
        .values(mode=new.value, updated_at=now)
        .returning(Conversation.id)
        .execution_options(synchronize_session="fetch")
    )
    if changed.scalar_one_or_none() is None:
        raise Conflict("the conversation was changed meanwhile; reload it", code="conversation_changed")
    # Column expressions (released_count + 1) leave attributes expired; load them now,
    # since an async session cannot lazy-load later.
    if handoff is not None:
        await session.refresh(handoff)
    await session.refresh(conversation)
    return new


async def post(
    session: AsyncSession,
    conversation: Conversation,
    kind: AuthorKind,
    content: str,
    *,
    private: bool = False,
    author_name: str | None = None,
) -> int:
    """Appends one message, taking its sequence number atomically; returns it."""
    now = utcnow()
    end = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(next_seq=Conversation.next_seq + 1, updated_at=now)
            .returning(Conversation.next_seq)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one()
    seq = int(end) - 1
    await session.execute(
        insert(table_of(Message)),
        [
            {
                "tenant_id": conversation.tenant_id,
                "conversation_id": conversation.id,
                "seq": seq,
                "author_kind": kind.value,
                "content": content,
                "private": private,
                "author_name": author_name,
                "created_at": now,
            }
        ],
    )
    return seq


def record(
    change: Change,
    conversation: Conversation,
    event_type: str,
    *,
    actor: str,
    request_id: str | None,
    mode: State,
    seq: int | None = None,
    private: bool = False,
    details: dict[str, Any] | None = None,
) -> None:
    handoff = change.handoff
    scope = AuditScope(
        tenant_id=conversation.tenant_id,
        request_id=request_id,
        conversation_id=conversation.id,
        customer_pseudonym=conversation.customer_pseudonym,
        channel=conversation.channel,
        locale=conversation.locale,
        region=conversation.region,
    )
    change.audit.append(
        scope.event(
            event_type,
            actor=actor,
            action=handoff.status,
            reason_code=handoff.reason_code,
            reason=handoff.summary if event_type == "handoff.queued" else "",
            details={"handoff_id": handoff.id, "mode": mode.value, **(details or {})},
        )
    )
    change.notices.append(
        Notice(
            tenant_id=conversation.tenant_id,
            conversation_id=conversation.id,
            event=event_type,
            handoff_id=handoff.id,
            status=handoff.status,
            mode=mode.value,
            seq=seq,
            private=private,
        )
    )
