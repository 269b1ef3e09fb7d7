"""The admin API for webhook endpoints. The signing secret is returned once, at creation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from app.audit.events import AuditScope
from app.errors import CandorError
from app.http import AdminPrincipal, SessionDep, StateDep, request_id
from app.state import AppState
from app.tenants.keys import Principal
from app.webhooks import endpoints
from app.webhooks.signing import SecretBox

router = APIRouter(prefix="/v1", tags=["webhooks"])


class EndpointCreate(BaseModel):
    url: str = Field(max_length=2000)
    events: list[str] | None = Field(default=None, max_length=10)


def _box(state: AppState) -> SecretBox:
    if state.webhooks is None:
        raise CandorError("webhooks are not running on this server", code="webhooks_unavailable")
    return state.webhooks.box


def _audit(state: AppState, request: Request, principal: Principal, event: str, endpoint_id: str) -> None:
    scope = AuditScope(tenant_id=principal.tenant_id, request_id=request_id(request))
    state.audit.submit(
        [
            scope.event(
                event,
                actor=f"key:{principal.key_id}",
                action=event.rpartition(".")[2],
                details={"endpoint_id": endpoint_id},
            )
        ]
    )


@router.post("/webhooks", status_code=201)
async def create_endpoint(
    body: EndpointCreate, principal: AdminPrincipal, session: SessionDep, state: StateDep, request: Request
) -> dict[str, Any]:
    created = await endpoints.create(
        session=session, box=_box(state), tenant_id=principal.tenant_id, url=body.url, events=body.events
    )
    await session.commit()
    _audit(state, request, principal, "webhook.created", created.endpoint.id)
    return {**endpoints.endpoint_as_dict(created.endpoint), "secret": created.secret}


@router.get("/webhooks")
async def list_endpoints(principal: AdminPrincipal, session: SessionDep) -> dict[str, Any]:
    rows = await endpoints.active(session=session, tenant_id=principal.tenant_id)
    return {"object": "list", "data": [endpoints.endpoint_as_dict(row) for row in rows]}


@router.delete("/webhooks/{endpoint_id}", status_code=204)
async def delete_endpoint(
    endpoint_id: str, principal: AdminPrincipal, state: StateDep, request: Request
) -> None:
    async with state.gate.writing(state.sessionmaker) as session:
        await endpoints.disable(session=session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id)
    _audit(state, request, principal, "webhook.deleted", endpoint_id)


@router.get("/webhooks/{endpoint_id}/deliveries")
async def list_deliveries(
    endpoint_id: str,
    principal: AdminPrincipal,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    rows = await endpoints.recent_deliveries(
        session=session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id, limit=limit
    )
    return {"object": "list", "data": [endpoints.delivery_as_dict(row) for row in rows]}
