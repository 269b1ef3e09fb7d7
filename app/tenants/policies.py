"""Per-tenant policy versions and the pipelines built from them.

Every PUT stores a new version; nothing is edited in place, so each audit event's policy
version names exactly the document it was decided under. A tenant that never stored one
uses the default policy (version 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.tenants.models import PolicyVersion
from guardrails.pipeline import Pipeline
from guardrails.policy import Policy, parse_policy


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    version: int
    document: str
    policy: Policy
    pipeline: Pipeline


async def latest_version(*, session: AsyncSession, tenant_id: str) -> PolicyVersion | None:
    return await session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.tenant_id == tenant_id)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )


async def store_version(*, session: AsyncSession, tenant_id: str, document: str, created_by: str) -> int:
    """Validate and store ``document`` as the tenant's next policy version."""
    parse_policy(document)  # raises PolicyError with a readable message
    current = await session.scalar(
        select(func.max(PolicyVersion.version)).where(PolicyVersion.tenant_id == tenant_id)
    )
    version = (current or 0) + 1
    session.add(PolicyVersion(tenant_id=tenant_id, version=version, document=document, created_by=created_by))
    await session.flush()
    return version


class PolicyStore:
    """Resolves a tenant's active policy, building each version's pipeline once."""

    def __init__(
        self, *, default_document: str, build_pipeline: Callable[[Policy], Pipeline], ttl_s: float = 2.0
    ) -> None:
        self._build = build_pipeline
        self._default = self._activate(0, default_document)
        self._built: dict[tuple[str, int], ActivePolicy] = {}
        # tenant -> (active policy, when to look again). A policy stored through this
        # replica applies at once; through another replica, within ttl_s.
        self._ttl_s = ttl_s
        self._current: dict[str, tuple[ActivePolicy, float]] = {}

    def forget(self, tenant_id: str) -> None:
        self._current.pop(tenant_id, None)

    @property
    def default(self) -> ActivePolicy:
        return self._default

    async def active(self, *, session: AsyncSession, tenant_id: str) -> ActivePolicy:
        current = self._current.get(tenant_id)
        if current is not None and time.monotonic() < current[1]:
            return current[0]
        resolved = await self._resolve(session=session, tenant_id=tenant_id)
        if self._ttl_s > 0:
            self._current[tenant_id] = (resolved, time.monotonic() + self._ttl_s)
        return resolved

    async def _resolve(self, *, session: AsyncSession, tenant_id: str) -> ActivePolicy:
        row = await session.execute(
            select(PolicyVersion.version)
            .where(PolicyVersion.tenant_id == tenant_id)
            .order_by(PolicyVersion.version.desc())
            .limit(1)
        )
        version = row.scalar()
        if version is None:
            return self._default
        cached = self._built.get((tenant_id, version))
        if cached is None:
            document = await session.scalar(
                select(PolicyVersion.document).where(
                    PolicyVersion.tenant_id == tenant_id, PolicyVersion.version == version
                )
            )
            assert document is not None
            cached = self._activate(version, document)
            self._built[(tenant_id, version)] = cached
        return cached

    def _activate(self, version: int, document: str) -> ActivePolicy:
        policy = parse_policy(document)
        return ActivePolicy(version=version, document=document, policy=policy, pipeline=self._build(policy))
