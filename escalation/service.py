"""The handoff actions: enqueue, claim, reply, transfer, release, resolve, hand back, and
the no-pickup notice.

Every function takes the session, inside the caller's write transaction, and returns a
``Change``: the handoff, plus the audit events and notices to send once the transaction
has committed (``Change.announce``). State changes go through ``store.move`` only.
Reading the queue and transcripts is in ``escalation.queue``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation, Message
from app.conversations.service import AuthorKind
from app.db import new_id, utcnow
from app.errors import Conflict, InvalidRequest, NotFound
from app.tenants.keys import Principal, Role
from app.tenants.models import ApiKey
from escalation.models import Handoff
from escalation.queue import HANDBACK_NOTE, conversation_of, get, open_handoff
from escalation.states import Event, HandoffStatus, State, state_of, transition
from escalation.store import Change, move, post, record
from guardrails.locale import HandoffTexts, texts_for


class Severity(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY = {Severity.URGENT: 0, Severity.HIGH: 1, Severity.NORMAL: 2, Severity.LOW: 3}
DEFAULT_AGENT_NAME = "A member of our team"


def _texts(conversation: Conversation) -> HandoffTexts:
    """What Candor tells the customer about people joining and leaving (never via the
    model), in the customer's language (guardrails/locales/; English if unknown)."""
    return texts_for(conversation.locale).handoff


def _bot_speaks_again(conversation: Conversation) -> None:
    """A person held the conversation: the bot's next reply counts as its first again,
    so it carries the AI disclosure again (docs/transparency.md)."""
    conversation.ai_turns = 0


async def _tell_customer(
    session: AsyncSession,
    handoff: Handoff,
    conversation: Conversation,
    text: str,
    *,
    event_type: str,
    actor: str,
    request_id: str | None,
    mode: State,
    details: dict[str, Any] | None = None,
) -> Change:
    """Posts Candor's notice about the change to the customer and records the change."""
    change = Change(handoff=handoff)
    seq = await post(session, conversation, AuthorKind.SYSTEM, text)
    record(
        change,
        conversation,
        event_type,
        actor=actor,
        request_id=request_id,
        mode=mode,
        seq=seq,
        details=details,
    )
    return change


async def enqueue(
    *,
    session: AsyncSession,
    tenant_id: str,
    conversation_id: str,
    reason_code: str,
    severity: Severity | str = Severity.NORMAL,
    summary: str = "",
    actor: str = "candor",
    request_id: str | None = None,
    customer_notice: str | None = None,
) -> Change:
    """Puts the conversation in the queue; the bot is not called for it from now on.

    Idempotent: a conversation that already has an open handoff gets that one back
    (``Change.created`` False). ``summary`` is shown to agents: reasons, never the
    customer's text. ``customer_notice`` is posted to the customer as a system message
    (the widget button; a chat turn says it in its own reply instead).
    """
    conversation = await conversation_of(
        session=session, tenant_id=tenant_id, conversation_id=conversation_id
    )
    existing = await open_handoff(session=session, conversation_id=conversation_id)
    if existing is not None:
        return Change(handoff=existing)
    level = _severity(severity)
    now = utcnow()
    handoff = Handoff(
        id=new_id(),
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        status=HandoffStatus.QUEUED.value,
        reason_code=reason_code,
        severity=level.value,
        priority=PRIORITY[level],
        summary=summary[:500],
        released_count=0,
        created_at=now,
        queued_at=now,
        updated_at=now,
    )
    mode = await move(session=session, conversation=conversation, handoff=None, event=Event.ENQUEUE)
    session.add(handoff)
    await session.flush()
    change = Change(handoff=handoff, created=True)
    if customer_notice:
        await post(session, conversation, AuthorKind.SYSTEM, customer_notice)
    record(
        change,
        conversation,
        "handoff.queued",
        actor=actor,
        request_id=request_id,
        mode=mode,
        details={"severity": level.value, "priority": handoff.priority},
    )
    return change


async def claim(
    *,
    session: AsyncSession,
    tenant_id: str,
    handoff_id: str,
    agent: Principal,
    display_name: str | None = None,
    request_id: str | None = None,
) -> Change:
    """The agent takes the conversation. Claiming one's own handoff again changes nothing."""
    handoff = await get(session=session, tenant_id=tenant_id, handoff_id=handoff_id, lock=True)
    if handoff.status == HandoffStatus.HUMAN and handoff.assigned_agent == agent.key_id:
        return Change(handoff=handoff)
    if handoff.status == HandoffStatus.HUMAN:
        raise Conflict("another agent has already claimed this handoff", code="already_claimed")
    if handoff.assigned_agent not in (None, agent.key_id):
        raise Conflict("this handoff was transferred to another agent", code="assigned_elsewhere")
    conversation = await conversation_of(
        session=session, tenant_id=tenant_id, conversation_id=handoff.conversation_id
    )
    name = (display_name or "").strip()[:100] or await _key_name(session, agent.key_id)
    now = utcnow()
    mode = await move(
        session=session,
        conversation=conversation,
        handoff=handoff,
        event=Event.CLAIM,
        holder=handoff.assigned_agent,
        assigned_agent=agent.key_id,
        agent_name=name,
        claimed_at=now,
    )
    change = await _tell_customer(
        session,
        handoff,
        conversation,
        _texts(conversation).joined.format(name=name),
        event_type="handoff.claimed",
        actor=_actor(agent),
        request_id=request_id,
        mode=mode,
    )
    return change


async def reply(
    *,
    session: AsyncSession,
    tenant_id: str,
    handoff_id: str,
    agent: Principal,
    content: str,
    private: bool = False,
    request_id: str | None = None,
) -> tuple[Change, Message]:
    """A message to the customer from the agent who holds the conversation, or a private
    note (any agent, any time) that only agents see."""
    content = content.strip()
    if not content:
        raise InvalidRequest("a message needs some content", param="content")
    handoff = await get(session=session, tenant_id=tenant_id, handoff_id=handoff_id, lock=not private)
    if not private:
        _require_holder(handoff, agent)
        transition(state_of(HandoffStatus(handoff.status)), Event.REPLY)  # only while a person holds it
    conversation = await conversation_of(
        session=session, tenant_id=tenant_id, conversation_id=handoff.conversation_id
    )
    name = handoff.agent_name if handoff.assigned_agent == agent.key_id else None
    name = name or await _key_name(session, agent.key_id)
    seq = await post(session, conversation, AuthorKind.AGENT, content, private=private, author_name=name)
    change = Change(handoff=handoff)
    record(
        change,
        conversation,
        "handoff.message",
        actor=_actor(agent),
        request_id=request_id,
        mode=State(conversation.mode),
        seq=seq,
        private=private,
        details={"private": private, "length": len(content)},
    )
    message = (
        await session.scalars(
            select(Message).where(Message.conversation_id == conversation.id, Message.seq == seq)
        )
    ).one()
    return change, message


async def transfer(
    *,
    session: AsyncSession,
    tenant_id: str,
    handoff_id: str,
    agent: Principal,
    to_agent: str | None = None,
    note: str | None = None,
    request_id: str | None = None,
) -> Change:
    """Back to the queue, reserved for ``to_agent`` (an agent key id) when one is named;
    ``note`` is kept as a private note for whoever picks it up."""
    if to_agent is not None:
        await _require_agent_key(session, tenant_id=tenant_id, key_id=to_agent)
    return await _leave(
        session=session,
        tenant_id=tenant_id,
        handoff_id=handoff_id,
        agent=agent,
        event=Event.TRANSFER,
        audit_type="handoff.transferred",
        assigned_agent=to_agent,
        note=note,
        request_id=request_id,
        details={"to_agent": to_agent} if to_agent else {},
    )


async def release(
    *, session: AsyncSession, tenant_id: str, handoff_id: str, agent: Principal, request_id: str | None = None
) -> Change:
    """Back to the queue, for anyone."""
    return await _leave(
        session=session,
        tenant_id=tenant_id,
        handoff_id=handoff_id,
        agent=agent,
        event=Event.RELEASE,
        audit_type="handoff.released",
        assigned_agent=None,
        note=None,
        request_id=request_id,
        details={},
    )


async def _leave(
    *,
    session: AsyncSession,
    tenant_id: str,
    handoff_id: str,
    agent: Principal,
    event: Event,
    audit_type: str,
    assigned_agent: str | None,
    note: str | None,
    request_id: str | None,
    details: dict[str, Any],
) -> Change:
    handoff = await get(session=session, tenant_id=tenant_id, handoff_id=handoff_id, lock=True)
    _require_holder(handoff, agent)
    conversation = await conversation_of(
        session=session, tenant_id=tenant_id, conversation_id=handoff.conversation_id
    )
    name = handoff.agent_name or DEFAULT_AGENT_NAME
    mode = await move(
        session=session,
        conversation=conversation,
        handoff=handoff,
        event=event,
        holder=agent.key_id,
        assigned_agent=assigned_agent,
        agent_name=None,
        claimed_at=None,
        queued_at=utcnow(),
        expired_at=None,
        released_count=Handoff.released_count + 1,
    )
    if note and note.strip():
        await post(session, conversation, AuthorKind.AGENT, note.strip(), private=True, author_name=name)
    change = await _tell_customer(
        session,
        handoff,
        conversation,
        _texts(conversation).left.format(name=name),
        event_type=audit_type,
        actor=_actor(agent),
        request_id=request_id,
        mode=mode,
        details=details,
    )
    return change


async def resolve(
    *, session: AsyncSession, tenant_id: str, handoff_id: str, agent: Principal, request_id: str | None = None
) -> Change:
    """Closes the handoff: the agent who holds it, or any agent while it is still queued."""
    handoff = await get(session=session, tenant_id=tenant_id, handoff_id=handoff_id, lock=True)
    if handoff.status == HandoffStatus.HUMAN:
        _require_holder(handoff, agent)
    conversation = await conversation_of(
        session=session, tenant_id=tenant_id, conversation_id=handoff.conversation_id
    )
    name = handoff.agent_name or await _key_name(session, agent.key_id)
    mode = await move(
        session=session,
        conversation=conversation,
        handoff=handoff,
        event=Event.RESOLVE,
        holder=handoff.assigned_agent,
        resolved_at=utcnow(),
    )
    _bot_speaks_again(conversation)
    change = await _tell_customer(
        session,
        handoff,
        conversation,
        _texts(conversation).resolved.format(name=name),
        event_type="handoff.resolved",
        actor=_actor(agent),
        request_id=request_id,
        mode=mode,
    )
    return change


async def handback(
    *,
    session: AsyncSession,
    tenant_id: str,
    handoff_id: str,
    agent: Principal,
    note: str | None = None,
    request_id: str | None = None,
) -> Change:
    """The bot answers again. ``note`` is kept as a private system message that
    ``bot_context_notes`` gives the chat layer for the bot's next turn."""
    handoff = await get(session=session, tenant_id=tenant_id, handoff_id=handoff_id, lock=True)
    _require_holder(handoff, agent)
    conversation = await conversation_of(
        session=session, tenant_id=tenant_id, conversation_id=handoff.conversation_id
    )
    name = handoff.agent_name or DEFAULT_AGENT_NAME
    mode = await move(
        session=session,
        conversation=conversation,
        handoff=handoff,
        event=Event.HANDBACK,
        holder=agent.key_id,
        resolved_at=utcnow(),
    )
    _bot_speaks_again(conversation)
    if note and note.strip():
        await post(session, conversation, AuthorKind.SYSTEM, note.strip(), private=True, author_name=name)
        conversation.guardrail_state = {**(conversation.guardrail_state or {}), HANDBACK_NOTE: True}
    change = await _tell_customer(
        session,
        handoff,
        conversation,
        _texts(conversation).handed_back.format(name=name),
        event_type="handoff.handed_back",
        actor=_actor(agent),
        request_id=request_id,
        mode=mode,
        details={"note": bool(note and note.strip())},
    )
    return change


async def expire_unclaimed(
    *, session: AsyncSession, now: datetime, pickup_within: timedelta, limit: int = 100
) -> list[Change]:
    """Handoffs queued longer than ``pickup_within`` with nobody picking up: the customer is
    told once (per time in the queue) that they are still waiting. They stay queued.
    Called periodically, for every tenant."""
    due = await session.scalars(
        select(Handoff)
        .where(
            Handoff.status == HandoffStatus.QUEUED.value,
            Handoff.expired_at.is_(None),
            Handoff.queued_at <= now - pickup_within,
        )
        .order_by(Handoff.queued_at)
        .limit(limit)
    )
    changes = []
    for handoff in list(due):
        conversation = await conversation_of(
            session=session, tenant_id=handoff.tenant_id, conversation_id=handoff.conversation_id
        )
        try:
            mode = await move(
                session=session,
                conversation=conversation,
                handoff=handoff,
                event=Event.EXPIRE,
                expired_at=now,
            )
        except Conflict:
            continue  # claimed meanwhile
        waited = (now - handoff.queued_at).total_seconds()
        change = await _tell_customer(
            session,
            handoff,
            conversation,
            _texts(conversation).no_pickup,
            event_type="handoff.expired",
            actor="candor",
            request_id=None,
            mode=mode,
            details={"waited_s": round(waited, 1)},
        )
        changes.append(change)
    return changes


async def reopen(*, session: AsyncSession, tenant_id: str, conversation_id: str) -> State:
    """A resolved conversation goes back to the bot (for the chat layer, when the customer
    writes again after a person closed the conversation)."""
    conversation = await conversation_of(
        session=session, tenant_id=tenant_id, conversation_id=conversation_id
    )
    state = await move(session=session, conversation=conversation, handoff=None, event=Event.REOPEN)
    _bot_speaks_again(conversation)
    return state


# -- helpers ----------------------------------------------------------------------------


def _severity(value: Severity | str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise InvalidRequest(
            f"unknown severity; use one of: {', '.join(s.value for s in Severity)}", param="severity"
        ) from None


def _require_holder(handoff: Handoff, agent: Principal) -> None:
    if handoff.status == HandoffStatus.HUMAN and handoff.assigned_agent != agent.key_id:
        raise Conflict("another agent holds this handoff", code="held_by_another_agent")
    if handoff.status != HandoffStatus.HUMAN:
        raise Conflict(f"claim the handoff first (it is {handoff.status})", code="not_claimed")


def _actor(agent: Principal) -> str:
    return f"key:{agent.key_id}"


async def _key_name(session: AsyncSession, key_id: str) -> str:
    name = await session.scalar(select(ApiKey.name).where(ApiKey.id == key_id))
    return (name or "").strip() or DEFAULT_AGENT_NAME


async def _require_agent_key(session: AsyncSession, *, tenant_id: str, key_id: str) -> None:
    row = (
        await session.execute(
            select(ApiKey.id).where(
                ApiKey.id == key_id,
                ApiKey.tenant_id == tenant_id,
                ApiKey.role == Role.AGENT.value,
                ApiKey.revoked_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound("no such agent key", param="to_agent")
