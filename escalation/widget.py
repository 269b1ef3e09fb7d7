"""The customer's side of a handoff (role ``chat``): the transcript to poll, the event
stream, and the widget's "talk to a person" button."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.service import get_for_tenant
from app.conversations.vault import Vault
from app.http import ChatPrincipal, SessionDep, StateDep, request_id
from escalation import queue, service
from escalation.deps import SSE_HEADERS, Duration, write
from escalation.states import HandoffStatus
from escalation.store import Change
from escalation.streams import ConversationFeed, conversation_events
from escalation.views import handoff_brief, message_as_dict, needs_vault, restored
from guardrails.locale import parse_accept_language

# Mounted under /v1 by ``escalation.router``.
router = APIRouter(tags=["conversations"])


@router.get("/conversations/{conversation_id}/messages")
async def conversation_messages(
    conversation_id: str,
    principal: ChatPrincipal,
    session: SessionDep,
    state: StateDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """What the customer may see: AI, agent and system messages and their own; no private
    notes. Their own values are restored, as in the chat replies."""
    await state.recorder.flush()  # turns written behind the request path are visible now
    conversation = await queue.conversation_of(
        session=session, tenant_id=principal.tenant_id, conversation_id=conversation_id
    )
    messages = await queue.transcript(
        session=session, conversation_id=conversation_id, after=after, limit=limit, customer_view=True
    )
    texts = [message.content for message in messages]
    if needs_vault(messages):
        tokens = await Vault(wrap_key=state.keys.vault_wrap).load(
            session=session, conversation_id=conversation_id
        )
        texts, _, _ = restored(messages, tokens)
    return {
        "conversation_id": conversation_id,
        "mode": conversation.mode,
        "data": [
            message_as_dict(message, content=text, agent_view=False)
            for message, text in zip(messages, texts, strict=True)
        ],
        "last_seq": messages[-1].seq if messages else after,
    }


@router.get("/conversations/{conversation_id}/events")
async def conversation_event_stream(
    conversation_id: str,
    principal: ChatPrincipal,
    session: SessionDep,
    state: StateDep,
    after: Annotated[int | None, Query(ge=0)] = None,
    duration: Duration = 300,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    await state.recorder.flush()
    await queue.conversation_of(
        session=session, tenant_id=principal.tenant_id, conversation_id=conversation_id
    )
    await session.close()  # the stream reads with its own short sessions
    start = after if after is not None else _seq(last_event_id)
    feed = ConversationFeed(
        sessionmaker=state.sessionmaker,
        vault=Vault(wrap_key=state.keys.vault_wrap),
        conversation_id=conversation_id,
    )
    stream = conversation_events(
        hub=state.hub,
        feed=feed,
        tenant_id=principal.tenant_id,
        conversation_id=conversation_id,
        after=start,
        duration=duration,
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/conversations/{conversation_id}/handoff", response_model=None)
async def request_handoff(
    conversation_id: str, principal: ChatPrincipal, state: StateDep, request: Request
) -> JSONResponse:
    """The widget's "talk to a person" button: always honoured."""
    await state.recorder.flush()

    languages = parse_accept_language(request.headers.get("accept-language"))

    async def action(session: AsyncSession) -> Change:
        active = await state.policies.active(session=session, tenant_id=principal.tenant_id)
        conversation = await get_for_tenant(
            session=session, tenant_id=principal.tenant_id, conversation_id=conversation_id
        )
        # What Candor says is in the customer's language, as on every chat turn.
        messages = active.policy.messages.localized(conversation.locale, languages)
        return await service.enqueue(
            session=session,
            tenant_id=principal.tenant_id,
            conversation_id=conversation_id,
            reason_code="customer_request",
            severity=service.Severity.NORMAL,
            summary="The customer asked for a person (the widget's button).",
            actor="customer",
            request_id=request_id(request),
            customer_notice=messages.handoff_queued,
        )

    change = await write(state, action)
    body = {"conversation_id": conversation_id, "mode": "queued", "handoff": handoff_brief(change.handoff)}
    if change.handoff.status == HandoffStatus.HUMAN:
        body["mode"] = "human"
    return JSONResponse(body, status_code=201 if change.created else 200)


def _seq(last_event_id: str | None) -> int:
    return int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
