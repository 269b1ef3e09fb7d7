"""Signed checkpoints of each tenant's audit chain.

A checkpoint says "tenant T's chain had ``tree_size`` events, the last with hash
``head_hash``", is chained to the tenant's previous checkpoint, and is signed with an
Ed25519 key derived from ``CANDOR_SECRET_KEY`` (``Keys.audit_signing_seed``). Whoever holds
the public key can then tell a truncated or rewritten trail from the real one, even if
the database admin recomputed every event hash (the hashes alone are keyless).

    checkpoint_hash = sha256(canonical JSON of {tenant_id, tree_size, head_hash,
                                                created_at, prev_checkpoint_hash})
    signature       = Ed25519(checkpoint_hash as ASCII hex), hex-encoded
    key_id          = first 16 hex of sha256(raw public key)
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.chain import GENESIS_HASH, canonical_json, render_time
from app.audit.models import AuditChainHead, AuditCheckpoint
from app.audit.writer import lock_head
from app.crypto import Keys
from app.db import WriteGate, utcnow

log = logging.getLogger(__name__)


def signing_key(keys: Keys) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(keys.audit_signing_seed)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_hex(keys: Keys) -> str:
    return public_key_bytes(signing_key(keys).public_key()).hex()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_bytes(public_key)).hexdigest()[:16]


def load_public_key(public_key: Ed25519PublicKey | bytes | str) -> Ed25519PublicKey:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key
    raw = bytes.fromhex(public_key) if isinstance(public_key, str) else public_key
    return Ed25519PublicKey.from_public_bytes(raw)


def checkpoint_body(row: Any) -> dict[str, Any]:
    """The signed fields of a checkpoint (an ``AuditCheckpoint`` or a mapping)."""

    def get(name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    return {
        "tenant_id": get("tenant_id"),
        "tree_size": int(get("tree_size")),
        "head_hash": get("head_hash"),
        "created_at": render_time(get("created_at")),
        "prev_checkpoint_hash": get("prev_checkpoint_hash"),
    }


def checkpoint_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


async def latest_checkpoint(session: AsyncSession, tenant_id: str) -> AuditCheckpoint | None:
    return await session.scalar(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.tenant_id == tenant_id)
        .order_by(AuditCheckpoint.tree_size.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    )


async def write_checkpoint(session: AsyncSession, *, tenant_id: str, keys: Keys) -> AuditCheckpoint | None:
    """Signs the tenant's current head, in the caller's transaction, unless the latest
    checkpoint already covers it. The head stays locked until commit, so replicas
    checkpointing at once still produce one linear chain of checkpoints."""
    tree_size, head_hash = await lock_head(session, tenant_id)
    previous = await latest_checkpoint(session, tenant_id)
    if tree_size == 0 or (previous is not None and previous.tree_size == tree_size):
        return None
    key = signing_key(keys)
    now = utcnow()
    body = {
        "tenant_id": tenant_id,
        "tree_size": tree_size,
        "head_hash": head_hash,
        "created_at": render_time(now),
        "prev_checkpoint_hash": previous.checkpoint_hash if previous is not None else GENESIS_HASH,
    }
    digest = checkpoint_hash(body)
    row = AuditCheckpoint(
        tenant_id=tenant_id,
        tree_size=tree_size,
        head_hash=head_hash,
        created_at=now,  # both databases keep microseconds: it reads back as signed
        prev_checkpoint_hash=body["prev_checkpoint_hash"],
        checkpoint_hash=digest,
        signature=key.sign(digest.encode()).hex(),
        key_id=key_id_of(key.public_key()),
    )
    session.add(row)
    await session.flush()
    return row


async def tenants_to_checkpoint(session: AsyncSession) -> list[str]:
    """Tenants whose head moved past their latest checkpoint (one query)."""
    covered = (
        select(AuditCheckpoint.tenant_id, func.max(AuditCheckpoint.tree_size).label("size"))
        .group_by(AuditCheckpoint.tenant_id)
        .subquery()
    )
    query = (
        select(AuditChainHead.tenant_id)
        .outerjoin(covered, covered.c.tenant_id == AuditChainHead.tenant_id)
        .where(AuditChainHead.seq > 0, or_(covered.c.size.is_(None), covered.c.size < AuditChainHead.seq))
        .order_by(AuditChainHead.tenant_id)
    )
    return list((await session.scalars(query)).all())


async def checkpoint_all(
    *, sessionmaker: async_sessionmaker[AsyncSession], gate: WriteGate, keys: Keys
) -> int:
    async with sessionmaker() as session:
        due = await tenants_to_checkpoint(session)
    written = 0
    for tenant_id in due:  # one transaction per tenant: a head is locked only briefly
        async with gate.writing(sessionmaker) as session:
            if await write_checkpoint(session, tenant_id=tenant_id, keys=keys) is not None:
                written += 1
    return written


class Checkpointer:
    """The background task that checkpoints every tenant whose head moved."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        keys: Keys,
        interval_s: float,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._keys = keys
        self._interval = interval_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-checkpoints")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(self._interval):
                    await self._stop.wait()
                return
            except TimeoutError:
                pass
            try:
                await checkpoint_all(sessionmaker=self._sessionmaker, gate=self._gate, keys=self._keys)
            except Exception as exc:  # noqa: BLE001 - the database may be away; try next time
                log.warning("audit checkpoint failed", extra={"error": type(exc).__name__})
