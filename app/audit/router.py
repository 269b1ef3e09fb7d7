"""The auditor's API. Each auditor sees only their own tenant, and every read is itself
audited (an ``audit.read`` or ``audit.exported`` event naming the filters, never results)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.audit.checkpoints import public_key_hex, signing_key
from app.audit.events import AuditScope
from app.audit.export import export_events, export_start, media_type
from app.audit.fairness import DEFAULT_MIN_SAMPLES, fairness
from app.audit.query import EventFilter, event_as_dict, list_events
from app.audit.reports import Window, summary
from app.audit.verify import verify_tenant
from app.http import AuditorPrincipal, SessionDep, StateDep, request_id
from app.state import AppState
from app.tenants.keys import Principal

router = APIRouter(prefix="/v1/audit", tags=["audit"])


async def event_filter(
    conversation_id: str | None = None,
    customer_pseudonym: str | None = None,
    guardrail: str | None = None,
    action: str | None = None,
    reason_code: str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> EventFilter:
    return EventFilter(
        conversation_id=conversation_id,
        customer_pseudonym=customer_pseudonym,
        guardrail=guardrail,
        action=action,
        reason_code=reason_code,
        event_type=event_type,
        since=since,
        until=until,
    )


FilterDep = Annotated[EventFilter, Depends(event_filter)]


def audit_read(
    state: AppState, principal: Principal, request: Request, event_type: str, action: str, **details: Any
) -> None:
    """Records who read what part of the trail (the question, not the answer)."""
    scope = AuditScope(tenant_id=principal.tenant_id, request_id=request_id(request))
    state.audit.submit(
        [scope.event(event_type, actor=f"key:{principal.key_id}", action=action, details=details)]
    )


@router.get("/events")
async def audit_events(
    principal: AuditorPrincipal,
    session: SessionDep,
    state: StateDep,
    request: Request,
    filters: FilterDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    events, next_cursor = await list_events(
        session=session, tenant_id=principal.tenant_id, filters=filters, cursor=cursor, limit=limit
    )
    audit_read(state, principal, request, "audit.read", "events", filters=filters.given())
    return {"data": [event_as_dict(event) for event in events], "next_cursor": next_cursor}


@router.get("/export")
async def audit_export(
    principal: AuditorPrincipal,
    session: SessionDep,
    state: StateDep,
    request: Request,
    filters: FilterDep,
    content: Annotated[str, Query(alias="format")] = "ndjson",
) -> StreamingResponse:
    content_type = media_type(content)
    # Where the export ends is fixed before the export itself is audited.
    start = await export_start(session, principal.tenant_id)
    chunks = export_events(
        sessionmaker=state.sessionmaker,
        tenant_id=principal.tenant_id,
        filters=filters,
        content=content,
        signing_key=signing_key(state.keys),
        start=start,
    )
    audit_read(state, principal, request, "audit.exported", content, filters=filters.given())
    filename = f"candor-audit-{principal.tenant_id}.{content}"
    return StreamingResponse(
        chunks,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/public-key")
async def audit_public_key(principal: AuditorPrincipal, state: StateDep) -> dict[str, str]:
    """The Ed25519 key that signs checkpoints and export manifests, for offline checks."""
    return {"algorithm": "ed25519", "public_key": public_key_hex(state.keys)}


@router.get("/reports/summary")
async def summary_report(
    principal: AuditorPrincipal,
    session: SessionDep,
    state: StateDep,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    period: str = "day",
) -> dict[str, Any]:
    window = Window.of(principal.tenant_id, since, until)
    report = await summary(session, window=window, period=period)
    audit_read(
        state,
        principal,
        request,
        "audit.read",
        "report.summary",
        period=period,
        since=report["since"],
        until=report["until"],
    )
    return report


@router.get("/reports/fairness")
async def fairness_report(
    principal: AuditorPrincipal,
    session: SessionDep,
    state: StateDep,
    request: Request,
    segment: str = "channel",
    since: datetime | None = None,
    until: datetime | None = None,
    min_samples: Annotated[int, Query(ge=1)] = DEFAULT_MIN_SAMPLES,
) -> dict[str, Any]:
    window = Window.of(principal.tenant_id, since, until)
    report = await fairness(session, window=window, segment=segment, min_samples=min_samples)
    audit_read(
        state,
        principal,
        request,
        "audit.read",
        "report.fairness",
        segment=segment,
        since=report["since"],
        until=report["until"],
    )
    return report


@router.get("/verify")
async def verify_trail(
    principal: AuditorPrincipal, session: SessionDep, state: StateDep, request: Request
) -> dict[str, Any]:
    """Checks the tenant's hash chain and signed checkpoints (docs/audit-integrity.md)."""
    public_key = public_key_hex(state.keys)
    result = await verify_tenant(session, principal.tenant_id, public_key)
    audit_read(state, principal, request, "audit.verified", "ok" if result.ok else "failed")
    return {**result.as_dict(), "public_key": public_key}
