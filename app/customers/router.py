"""A customer's rights over HTTP (docs/consent-and-data-rights.md).

    PUT    /v1/customers/{customer_id}/consent        chat, admin   the AI choice
    GET    /v1/customers/{customer_id}/export         admin         everything held
    DELETE /v1/customers/{customer_id}                admin         erasure
    GET    /v1/conversations/{id}/explanation         chat, auditor, admin

Another tenant's customers and conversations do not exist here (404). Customer ids travel
in the path, so the request log names only the route template (see app/ops/middleware.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict

from app.audit.events import AuditScope
from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.conversations.vault import Vault
from app.crypto import customer_pseudonym
from app.customers import consent as consents
from app.customers.consent import AiChoice, ConsentSource
from app.customers.erasure import erase_customer, erasure_event
from app.customers.explanation import explain
from app.customers.export import export_customer
from app.customers.handoffs import withdraw_requests
from app.customers.subjects import conversations_of
from app.errors import NotFound
from app.http import SessionDep, StateDep, request_id, require
from app.state import AppState
from app.tenants.keys import Principal, Role
from escalation.store import Change
from guardrails.locale import texts_for

router = APIRouter(prefix="/v1", tags=["customers"])

CustomerId = Annotated[str, Path(min_length=1, max_length=200)]
ChatOrAdmin = Annotated[Principal, Depends(require(Role.CHAT, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(Role.CHAT, Role.AUDITOR, Role.ADMIN))]


class ApiSource(StrEnum):
    """Who changed the choice: a server on the customer's behalf, or the widget's toggle.
    ("chat" is what the customer says in the conversation; the API cannot claim it.)"""

    API = "api"
    WIDGET = "widget"


class ConsentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ai: AiChoice
    source: ApiSource = ApiSource.API


def _pseudonym(state: AppState, principal: Principal, customer_id: str) -> str:
    return customer_pseudonym(state.keys.pseudonym, tenant_id=principal.tenant_id, customer_id=customer_id)


def _actor(principal: Principal) -> str:
    return f"key:{principal.key_id}"


@router.put("/customers/{customer_id}/consent")
async def put_consent(
    customer_id: CustomerId, body: ConsentBody, principal: ChatOrAdmin, state: StateDep, request: Request
) -> dict[str, Any]:
    """Opt in or out of AI for every conversation of this customer, on every channel.
    Opting in also withdraws their queued requests for a person (the bot answers next)."""
    tenant_id = principal.tenant_id
    pseudonym = _pseudonym(state, principal, customer_id)
    await state.recorder.flush()  # conversations written behind the request path exist now
    changes: list[Change] = []
    async with state.gate.writing(state.sessionmaker) as session:
        result = await consents.record(
            session=session,
            tenant_id=tenant_id,
            subject=pseudonym,
            ai=body.ai,
            source=ConsentSource(body.source.value),
        )
        if result.changed and body.ai is AiChoice.OPT_IN:
            held = await conversations_of(session=session, tenant_id=tenant_id, subject=pseudonym)
            changes = await withdraw_requests(
                session=session,
                conversations=held,
                notice=lambda conversation: texts_for(conversation.locale).consent.opted_in,
                request_id=request_id(request),
            )
    for change in changes:
        change.announce(audit=state.audit, hub=state.hub)
    if result.changed:
        scope = AuditScope(tenant_id=tenant_id, request_id=request_id(request), customer_pseudonym=pseudonym)
        await state.audit.submit_durable([consents.consent_event(scope, result, actor=_actor(principal))])
    return {
        "customer_id": customer_id,
        "ai": result.ai.value,
        "previous": result.previous.value if result.previous else None,
        "source": result.source.value,
        "changed": result.changed,
        "handoffs_withdrawn": len(changes),
    }


@router.get("/customers/{customer_id}/export")
async def export(
    customer_id: CustomerId, principal: Admin, state: StateDep, session: SessionDep
) -> dict[str, Any]:
    await state.recorder.flush()
    data = await export_customer(
        session=session,
        vault=Vault(wrap_key=state.keys.vault_wrap),
        tenant_id=principal.tenant_id,
        customer_id=customer_id,
        pseudonym=_pseudonym(state, principal, customer_id),
    )
    if data is None:
        raise NotFound("no data is held about this customer")
    return data


@router.delete("/customers/{customer_id}")
async def erase(
    customer_id: CustomerId, principal: Admin, state: StateDep, request: Request
) -> dict[str, Any]:
    """Erases the customer (idempotent: erasing again deletes nothing and says so)."""
    pseudonym = _pseudonym(state, principal, customer_id)
    await state.recorder.flush()  # nothing of theirs is left waiting to be written
    async with state.gate.writing(state.sessionmaker) as session:
        counts, changes = await erase_customer(
            session=session,
            tenant_id=principal.tenant_id,
            customer_id=customer_id,
            pseudonym=pseudonym,
            request_id=request_id(request),
        )
    for change in changes:
        change.announce(audit=state.audit, hub=state.hub)
    event = erasure_event(
        tenant_id=principal.tenant_id,
        pseudonym=pseudonym,
        counts=counts,
        actor=_actor(principal),
        request_id=request_id(request),
    )
    await state.audit.submit_durable([event])
    return {"erased": True, "customer_pseudonym": pseudonym, "deleted": event["details"]}


@router.get("/conversations/{conversation_id}/explanation")
async def explanation(
    conversation_id: str, principal: Reader, state: StateDep, session: SessionDep
) -> dict[str, Any]:
    """Why each decision on this conversation was taken, in plain words, with no PII."""
    await state.recorder.flush()
    await state.audit.flush()  # the turn's decisions are written behind the response
    conversation: Conversation = await conversations.get_for_tenant(
        session=session, tenant_id=principal.tenant_id, conversation_id=conversation_id
    )
    return await explain(
        session=session,
        tenant_id=principal.tenant_id,
        conversation_id=conversation.id,
        locale=conversation.locale,
    )
