"""Verifying a tenant's audit trail: the hash chain, the checkpoints and the head.

Rows are read in chain order (seq, then id) a page at a time, so a trail of millions of
events verifies in constant memory. The first problem found is named with its position:

    edited        an event's content no longer matches its hash (or, when the hash was
                  recomputed too, the next event's link to it)
    deleted       a seq is missing (or the events before a kept position are gone
                  without a checkpoint to start from)
    inserted      a seq appears twice, a row has no seq, or the trail runs past its head
    reordered     rows of the trail were swapped (ids run backwards against the chain)
    truncated     the trail ends before a signed checkpoint or its head
    checkpoint_mismatch   a checkpoint's head hash differs from the event at its position
    bad_checkpoint / bad_signature / checkpoint_chain   a forged or broken checkpoint
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import GENESIS_HASH, canonical_event, event_hash
from app.audit.checkpoints import checkpoint_body, checkpoint_hash, load_public_key
from app.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from app.db import table_of

_EVENTS = table_of(AuditEvent)
PAGE_SIZE = 2000


@dataclass
class VerifyResult:
    tenant_id: str
    ok: bool = True
    checked: int = 0
    first_bad: dict[str, Any] | None = None
    from_seq: int = 1  # where the kept trail starts (after a retention purge: > 1)
    head_seq: int = 0
    checkpoints: int = 0
    latest_checkpoint: dict[str, Any] | None = field(default=None)

    def fail(self, seq: int | None, problem: str) -> VerifyResult:
        self.ok = False
        self.first_bad = {"seq": seq, "problem": problem}
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad": self.first_bad,
            "tenant_id": self.tenant_id,
            "from_seq": self.from_seq,
            "head_seq": self.head_seq,
            "checkpoints": self.checkpoints,
            "latest_checkpoint": self.latest_checkpoint,
        }


async def verify_tenant(
    session: AsyncSession, tenant_id: str, public_key: Ed25519PublicKey | bytes | str
) -> VerifyResult:
    result = VerifyResult(tenant_id=tenant_id)
    key = load_public_key(public_key)
    checkpoints = await _verified_checkpoints(session, tenant_id, key, result)
    if not result.ok:
        return result
    unsequenced = await session.scalar(
        select(func.count())
        .select_from(_EVENTS)
        .where(_EVENTS.c.tenant_id == tenant_id, _EVENTS.c.seq.is_(None))
    )
    if unsequenced:
        return result.fail(None, "inserted")
    # Writers keep committing while we read (and without one snapshot, each statement
    # sees the latest commits): the walk covers what the head said at the start, and the
    # head is moved in the same transaction as the events it covers.
    result.head_seq = await _head_seq(session, tenant_id)
    expected_end = max([result.head_seq, *checkpoints])
    last_seq = await _verify_chain(session, tenant_id, checkpoints, result, upto=expected_end)
    if not result.ok:
        return result
    if last_seq < expected_end:
        return result.fail(last_seq + 1, "truncated")
    if result.from_seq > 1:
        # Events before a checkpoint are gone: only a purge may do that, and a purge
        # records itself (chained after the cut, so it cannot be forged or dropped).
        purged = await _purged_through(session, tenant_id)
        if result.from_seq - 1 not in purged:
            return result.fail(max((s for s in purged if s < result.from_seq - 1), default=0) + 1, "deleted")
    # A row past the head: read the highest seq first, then the head again, so a commit
    # made meanwhile can only raise the head above it, never the other way round.
    highest = await session.scalar(select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.tenant_id == tenant_id))
    head_now = await _head_seq(session, tenant_id)
    if highest is not None and highest > head_now:
        return result.fail(head_now + 1, "inserted")
    return result


async def _purged_through(session: AsyncSession, tenant_id: str) -> set[int]:
    """The positions recorded purges cut the trail after (``audit.purged`` events)."""
    details = await session.scalars(
        select(_EVENTS.c.details).where(
            _EVENTS.c.tenant_id == tenant_id, _EVENTS.c.event_type == "audit.purged"
        )
    )
    return {int(d["through_seq"]) for d in details if isinstance(d, dict) and "through_seq" in d}


async def _head_seq(session: AsyncSession, tenant_id: str) -> int:
    seq = await session.scalar(select(AuditChainHead.seq).where(AuditChainHead.tenant_id == tenant_id))
    return int(seq) if seq is not None else 0


async def _verified_checkpoints(
    session: AsyncSession, tenant_id: str, key: Ed25519PublicKey, result: VerifyResult
) -> dict[int, str]:
    """tree_size -> head_hash of every checkpoint, once each signature and link checks."""
    rows = await session.stream_scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.tenant_id == tenant_id)
        .order_by(AuditCheckpoint.tree_size, AuditCheckpoint.id)
    )
    heads: dict[int, str] = {}
    previous_hash, previous_size = GENESIS_HASH, 0
    async for row in rows:
        body = checkpoint_body(row)
        digest = checkpoint_hash(body)
        if digest != row.checkpoint_hash:
            result.fail(row.tree_size, "bad_checkpoint")
            break
        try:
            key.verify(bytes.fromhex(row.signature), digest.encode())
        except (InvalidSignature, ValueError):
            result.fail(row.tree_size, "bad_signature")
            break
        if row.prev_checkpoint_hash != previous_hash or row.tree_size < previous_size:
            result.fail(row.tree_size, "checkpoint_chain")
            break
        previous_hash, previous_size = digest, row.tree_size
        heads[row.tree_size] = row.head_hash
        result.checkpoints += 1
        result.latest_checkpoint = {**body, "checkpoint_hash": digest, "key_id": row.key_id}
    await rows.close()
    return heads


async def _verify_chain(
    session: AsyncSession, tenant_id: str, checkpoints: dict[int, str], result: VerifyResult, *, upto: int
) -> int:
    """Walks the events in chain order; returns the last seq seen (0 if none)."""
    rows = _rows(session, tenant_id, upto)
    row = await anext(rows, None)
    if row is None:
        return 0
    first = int(row["seq"])
    if first == 1:
        prev_hash = GENESIS_HASH
    elif first - 1 in checkpoints:  # a retention purge stops at a checkpoint
        prev_hash = checkpoints[first - 1]
    else:
        below = [size for size in checkpoints if size < first]
        result.fail(max(below, default=0) + 1, "deleted")
        return 0
    result.from_seq = first
    expected, previous_id = first, None
    while row is not None:
        following = await anext(rows, None)
        seq = int(row["seq"])
        if seq < expected:
            result.fail(seq, "inserted")
            break
        if seq > expected:
            result.fail(expected, "deleted")
            break
        if previous_id is not None and row["id"] < previous_id:
            result.fail(expected - 1, "reordered")
            break
        if event_hash(row["prev_hash"], canonical_event(row)) != row["hash"]:
            swapped = following is not None and following["id"] < row["id"]
            result.fail(seq, "reordered" if swapped else "edited")
            break
        if row["prev_hash"] != prev_hash:
            # This row is intact, so the one before it was changed and re-hashed (or,
            # at the start of a purged trail, the anchoring checkpoint does not match).
            result.fail(seq - 1 if seq > first else seq, "edited")
            break
        if seq in checkpoints and checkpoints[seq] != row["hash"]:
            result.fail(seq, "checkpoint_mismatch")
            break
        result.checked += 1
        prev_hash, previous_id, expected = row["hash"], row["id"], seq + 1
        row = following
    await rows.aclose()
    return expected - 1


async def _rows(session: AsyncSession, tenant_id: str, upto: int) -> AsyncGenerator[Any, None]:
    """The tenant's events in chain order, a page at a time (keyset on seq, id)."""
    last: tuple[int, int] | None = None
    while True:
        query = select(_EVENTS).where(_EVENTS.c.tenant_id == tenant_id, _EVENTS.c.seq <= upto)
        if last is not None:
            query = query.where(tuple_(_EVENTS.c.seq, _EVENTS.c.id) > tuple_(*last))
        page = (
            (await session.execute(query.order_by(_EVENTS.c.seq, _EVENTS.c.id).limit(PAGE_SIZE)))
            .mappings()
            .all()
        )
        for row in page:
            yield row
        if len(page) < PAGE_SIZE:
            return
        last = (int(page[-1]["seq"]), int(page[-1]["id"]))
