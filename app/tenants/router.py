"""The admin API: API keys and the tenant's policy. Every change is audited."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.audit.events import AuditScope
from app.errors import InvalidRequest
from app.http import AdminPrincipal, AnyPrincipal, SessionDep, StateDep, request_id
from app.tenants import policies
from app.tenants.keys import create_key, parse_role, revoke_key
from guardrails.policy import PolicyError

router = APIRouter(prefix="/v1", tags=["admin"])

MAX_POLICY_BYTES = 64 * 1024


@router.get("/me", tags=["keys"])
async def who_am_i(principal: AnyPrincipal) -> dict[str, Any]:
    """The calling key's id, role and tenant, for any role: a console asks this once at
    sign-in instead of probing endpoints (and an auditor's sign-in is not an audit read)."""
    return {
        "key_id": principal.key_id,
        "role": principal.role.value,
        "tenant": {"id": principal.tenant_id, "name": principal.tenant_name},
    }


class KeyCreate(BaseModel):
    role: str
    name: str = Field(default="", max_length=100)


@router.post("/keys", status_code=201)
async def create_api_key(
    body: KeyCreate, principal: AdminPrincipal, session: SessionDep, state: StateDep, request: Request
) -> dict[str, Any]:
    role = parse_role(body.role)
    minted = await create_key(session=session, tenant_id=principal.tenant_id, role=role, name=body.name)
    await session.commit()
    scope = AuditScope(tenant_id=principal.tenant_id, request_id=request_id(request))
    state.audit.submit(
        [
            scope.event(
                "key.created",
                actor=f"key:{principal.key_id}",
                action="create",
                details={"key_id": minted.id, "role": role.value},
            )
        ]
    )
    return {"id": minted.id, "role": role.value, "tenant": principal.tenant_name, "key": minted.key}


@router.delete("/keys/{key_id}", status_code=204)
async def delete_api_key(
    key_id: str, principal: AdminPrincipal, session: SessionDep, state: StateDep, request: Request
) -> None:
    await revoke_key(session=session, tenant_id=principal.tenant_id, key_id=key_id)
    await session.commit()
    state.key_cache.forget_key(key_id)
    scope = AuditScope(tenant_id=principal.tenant_id, request_id=request_id(request))
    state.audit.submit(
        [
            scope.event(
                "key.revoked", actor=f"key:{principal.key_id}", action="revoke", details={"key_id": key_id}
            )
        ]
    )


@router.get("/policy")
async def get_policy(principal: AdminPrincipal, session: SessionDep, state: StateDep) -> dict[str, Any]:
    active = await state.policies.active(session=session, tenant_id=principal.tenant_id)
    return {
        "version": active.version,
        "document": active.document,
        "policy": active.policy.model_dump(mode="json"),
    }


@router.put("/policy")
async def put_policy(
    request: Request, principal: AdminPrincipal, session: SessionDep, state: StateDep
) -> JSONResponse:
    """Body: the policy YAML itself (any text type), or JSON ``{"document": "<yaml>"}``."""
    raw = await request.body()
    if len(raw) > MAX_POLICY_BYTES:
        raise InvalidRequest(f"a policy is at most {MAX_POLICY_BYTES} bytes", code="request_too_large")
    document = _policy_document(raw, request.headers.get("content-type", ""))
    try:
        version = await policies.store_version(
            session=session, tenant_id=principal.tenant_id, document=document, created_by=principal.key_id
        )
    except PolicyError as exc:
        raise InvalidRequest(f"invalid policy: {exc}", code="invalid_policy") from None
    await session.commit()
    state.policies.forget(principal.tenant_id)
    scope = AuditScope(tenant_id=principal.tenant_id, request_id=request_id(request), policy_version=version)
    state.audit.submit([scope.event("policy.changed", actor=f"key:{principal.key_id}", action="update")])
    return JSONResponse({"version": version}, status_code=200)


def _policy_document(raw: bytes, content_type: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("the policy must be UTF-8 text", code="invalid_policy") from None
    if content_type.startswith("application/json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise InvalidRequest("the request body is not valid JSON", code="invalid_json") from None
        if not isinstance(data, dict) or not isinstance(data.get("document"), str):
            raise InvalidRequest(
                'send {"document": "<policy YAML>"} or the YAML itself', code="invalid_policy"
            )
        return str(data["document"])
    return text
