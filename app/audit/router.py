"""The auditor's API. Each auditor sees only their own tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.audit.query import EventFilter, event_as_dict, list_events
from app.http import AuditorPrincipal, SessionDep

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/events")
async def audit_events(
    principal: AuditorPrincipal,
    session: SessionDep,
    conversation_id: str | None = None,
    customer_pseudonym: str | None = None,
    guardrail: str | None = None,
    action: str | None = None,
    reason_code: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    filters = EventFilter(
        conversation_id=conversation_id,
        customer_pseudonym=customer_pseudonym,
        guardrail=guardrail,
        action=action,
        reason_code=reason_code,
        event_type=event_type,
        since=since,
        until=until,
    )
    events, next_cursor = await list_events(
        session=session, tenant_id=principal.tenant_id, filters=filters, cursor=cursor, limit=limit
    )
    return {"data": [event_as_dict(event) for event in events], "next_cursor": next_cursor}
