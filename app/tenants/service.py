"""Tenant creation and the development bootstrap."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidRequest
from app.tenants.keys import MintedKey, Role, create_key
from app.tenants.models import Tenant

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


async def create_tenant(*, session: AsyncSession, name: str) -> Tenant:
    if not _NAME.match(name):
        raise InvalidRequest("tenant names are 1-100 lowercase letters, digits, '-' or '_'", param="name")
    existing = await session.scalar(select(Tenant).where(Tenant.name == name))
    if existing is not None:
        raise Conflict(f"tenant {name} exists")
    tenant = Tenant(name=name)
    session.add(tenant)
    await session.flush()
    return tenant


async def bootstrap_demo(*, session: AsyncSession) -> list[MintedKey] | None:
    """On an empty database, create tenant ``demo`` with one key per role."""
    if await session.scalar(select(func.count()).select_from(Tenant)):
        return None
    tenant = await create_tenant(session=session, name="demo")
    return [
        await create_key(session=session, tenant_id=tenant.id, role=role, name="bootstrap") for role in Role
    ]
