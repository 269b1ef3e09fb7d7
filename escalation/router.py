"""The agents' API (role ``agent``) and the widget's side of a handoff (role ``chat``).

Changes run in one write transaction (through the SQLite write gate); their audit events
and notices go out after it commits.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.audit.events import AuditScope
from app.conversations.vault import Vault
from app.db import utcnow
from app.errors import InvalidRequest
from app.http import SessionDep, StateDep, request_id
from escalation import queue, service
from escalation.deps import SSE_HEADERS, AgentPrincipal, Duration, write
from escalation.states import OPEN_STATUSES, HandoffStatus
from escalation.store import Change
from escalation.streams import console_events
from escalation.views import handoff_as_dict, message_as_dict, needs_vault, restored
from escalation.widget import router as widget_router

router = APIRouter(prefix="/v1", tags=["handoffs"])


class ClaimBody(BaseModel):
    display_name: str | None = Field(default=None, max_length=100)


class MessageBody(BaseModel):
    content: str = Field(min_length=1, max_length=8000)
    private: bool = False


class TransferBody(BaseModel):
    to_agent: str | None = Field(default=None, max_length=32, description="an agent key id")
    note: str | None = Field(default=None, max_length=4000)


class HandbackBody(BaseModel):
    note: str | None = Field(default=None, max_length=4000)


def _handoff_reply(change: Change) -> dict[str, Any]:
    return {"handoff": handoff_as_dict(change.handoff, now=utcnow())}


# -- agents -----------------------------------------------------------------------------


@router.get("/handoffs")
async def list_handoffs(
    principal: AgentPrincipal,
    session: SessionDep,
    status: str | None = None,
    assigned: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    statuses = _statuses(status)
    if assigned not in (None, "me", "none"):
        raise InvalidRequest("assigned is 'me' or 'none'", param="assigned")
    items, counts = await queue.list_queue(
        session=session,
        tenant_id=principal.tenant_id,
        statuses=statuses,
        assigned_to=principal.key_id if assigned == "me" else None,
        unassigned=assigned == "none",
        limit=limit,
    )
    now = utcnow()
    return {"data": [handoff_as_dict(item, now=now) for item in items], "counts": counts}


@router.get("/handoffs/events")
async def handoff_events(
    principal: AgentPrincipal, state: StateDep, duration: Duration = 300
) -> StreamingResponse:
    stream = console_events(hub=state.hub, tenant_id=principal.tenant_id, duration=duration)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)


@router.get("/handoffs/{handoff_id}")
async def handoff_detail(
    handoff_id: str,
    principal: AgentPrincipal,
    session: SessionDep,
    state: StateDep,
    request: Request,
    reveal: bool = True,
) -> dict[str, Any]:
    """The handoff and its whole transcript (private notes included), PII restored unless
    ``reveal=false``; every reveal is audited (how many values, of which types)."""
    await state.recorder.flush()
    handoff = await queue.get(session=session, tenant_id=principal.tenant_id, handoff_id=handoff_id)
    messages = await queue.transcript(
        session=session, conversation_id=handoff.conversation_id, customer_view=False
    )
    texts = [message.content for message in messages]
    if reveal and needs_vault(messages):
        tokens = await Vault(wrap_key=state.keys.vault_wrap).load(
            session=session, conversation_id=handoff.conversation_id
        )
        texts, count, types = restored(messages, tokens)
        if count:
            scope = AuditScope(
                tenant_id=principal.tenant_id,
                request_id=request_id(request),
                conversation_id=handoff.conversation_id,
            )
            event = scope.event(
                "pii.revealed",
                actor=f"key:{principal.key_id}",
                action="reveal",
                details={"handoff_id": handoff.id, "values": count, "entity_types": types},
            )
            state.audit.submit([event])
    return {
        "handoff": handoff_as_dict(handoff, now=utcnow()),
        "transcript": [
            message_as_dict(message, content=text, agent_view=True)
            for message, text in zip(messages, texts, strict=True)
        ],
    }


@router.post("/handoffs/{handoff_id}/claim")
async def claim_handoff(
    handoff_id: str,
    principal: AgentPrincipal,
    state: StateDep,
    request: Request,
    body: ClaimBody | None = None,
) -> dict[str, Any]:
    change = await write(
        state,
        lambda session: service.claim(
            session=session,
            tenant_id=principal.tenant_id,
            handoff_id=handoff_id,
            agent=principal,
            display_name=body.display_name if body else None,
            request_id=request_id(request),
        ),
    )
    return _handoff_reply(change)


@router.post("/handoffs/{handoff_id}/messages", status_code=201)
async def post_message(
    handoff_id: str, body: MessageBody, principal: AgentPrincipal, state: StateDep, request: Request
) -> dict[str, Any]:
    async with state.gate.writing(state.sessionmaker) as session:
        change, message = await service.reply(
            session=session,
            tenant_id=principal.tenant_id,
            handoff_id=handoff_id,
            agent=principal,
            content=body.content,
            private=body.private,
            request_id=request_id(request),
        )
    change.announce(audit=state.audit, hub=state.hub)
    return {"message": message_as_dict(message, agent_view=True)}


@router.post("/handoffs/{handoff_id}/transfer")
async def transfer_handoff(
    handoff_id: str,
    principal: AgentPrincipal,
    state: StateDep,
    request: Request,
    body: TransferBody | None = None,
) -> dict[str, Any]:
    body = body or TransferBody()
    change = await write(
        state,
        lambda session: service.transfer(
            session=session,
            tenant_id=principal.tenant_id,
            handoff_id=handoff_id,
            agent=principal,
            to_agent=body.to_agent,
            note=body.note,
            request_id=request_id(request),
        ),
    )
    return _handoff_reply(change)


@router.post("/handoffs/{handoff_id}/release")
async def release_handoff(
    handoff_id: str, principal: AgentPrincipal, state: StateDep, request: Request
) -> dict[str, Any]:
    change = await write(
        state,
        lambda session: service.release(
            session=session,
            tenant_id=principal.tenant_id,
            handoff_id=handoff_id,
            agent=principal,
            request_id=request_id(request),
        ),
    )
    return _handoff_reply(change)


@router.post("/handoffs/{handoff_id}/resolve")
async def resolve_handoff(
    handoff_id: str, principal: AgentPrincipal, state: StateDep, request: Request
) -> dict[str, Any]:
    change = await write(
        state,
        lambda session: service.resolve(
            session=session,
            tenant_id=principal.tenant_id,
            handoff_id=handoff_id,
            agent=principal,
            request_id=request_id(request),
        ),
    )
    return _handoff_reply(change)


@router.post("/handoffs/{handoff_id}/handback")
async def hand_back(
    handoff_id: str,
    principal: AgentPrincipal,
    state: StateDep,
    request: Request,
    body: HandbackBody | None = None,
) -> dict[str, Any]:
    change = await write(
        state,
        lambda session: service.handback(
            session=session,
            tenant_id=principal.tenant_id,
            handoff_id=handoff_id,
            agent=principal,
            note=body.note if body else None,
            request_id=request_id(request),
        ),
    )
    return _handoff_reply(change)


def _statuses(value: str | None) -> tuple[HandoffStatus, ...]:
    if not value:
        return OPEN_STATUSES
    try:
        return tuple(HandoffStatus(part.strip()) for part in value.split(",") if part.strip())
    except ValueError:
        raise InvalidRequest(
            f"status is one or more of: {', '.join(s.value for s in HandoffStatus)}", param="status"
        ) from None


# The customer's side is part of the same feature, mounted with it.
router.include_router(widget_router)
