"""HTTP helpers the two handoff routers share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.http import require
from app.state import AppState
from app.tenants.keys import Principal, Role
from escalation.store import Change

AgentPrincipal = Annotated[Principal, Depends(require(Role.AGENT))]
Duration = Annotated[float, Query(gt=0, le=3600, description="seconds the stream stays open, then it ends")]
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def write(state: AppState, action: Callable[[AsyncSession], Awaitable[Change]]) -> Change:
    """Runs a change in one write transaction (through the SQLite write gate), then audits
    and announces it: nothing is announced that did not commit."""
    async with state.gate.writing(state.sessionmaker) as session:
        change = await action(session)
    change.announce(audit=state.audit, hub=state.hub)
    return change
