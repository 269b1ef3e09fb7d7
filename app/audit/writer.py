"""Batched, hash-chained, durable audit writes, off the request path.

``submit`` appends the events to the local spool (``app.audit.spool``) and queues them for
the database; ``submit_durable`` also waits until the spool has fsync'd them, which is what
a turn waits for before its reply is completed ("acknowledged", docs/audit-integrity.md).
Batches go to the database through ``app.batching``; each batch, in one transaction,
skips events already stored (a replayed spool), locks each tenant's chain head, gives the
events their seq / prev_hash / hash in order and moves the head. Events of one tenant
are therefore chained in one order even when several replicas write to one PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.chain import GENESIS_HASH, chain_events
from app.audit.models import AuditChainHead, AuditEvent
from app.audit.spool import Segment, Spool
from app.batching import BatchWriter
from app.db import WriteGate, table_of, utcnow
from app.errors import CandorError
from app.ops import metrics

log = logging.getLogger(__name__)

_EVENTS = table_of(AuditEvent)
_HEADS = table_of(AuditChainHead)
_INSERT = insert(_EVENTS)


class AuditUnavailable(CandorError):
    """The audit store cannot be written and the tenant's policy is ``fail_closed``."""

    status_code = 503
    error_type = "service_unavailable"
    code = "audit_unavailable"


class Background(Protocol):
    """A task that lives as long as the writer (the checkpointer)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(slots=True)
class Spooled:
    event: dict[str, Any]
    segment: Segment | None
    # The database may have this event already: it was replayed from a spool, or an
    # attempt to write it failed (perhaps after its commit). Fresh events cannot be there
    # yet (new ids), so their batches skip the lookup.
    maybe_stored: bool = False


async def lock_head(session: AsyncSession, tenant_id: str) -> tuple[int, str]:
    """The tenant's chain head, locked until the transaction ends (created if new).

    PostgreSQL: a row lock (``FOR UPDATE``). SQLite: the driver begins its transaction at
    the first write, so a leading read would see a head another process may move before
    we write; the no-op upsert first takes the database's write lock, then we read.
    """
    dialect = session.get_bind().dialect.name
    query = select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.tenant_id == tenant_id).with_for_update()
    if dialect == "postgresql":
        row = (await session.execute(query)).first()
        if row is not None:
            return int(row.seq), str(row.hash)
    values = {"tenant_id": tenant_id, "seq": 0, "hash": GENESIS_HASH, "updated_at": utcnow()}
    # Two replicas may create the same head at once: one wins, both then lock it.
    create = (pg_insert if dialect == "postgresql" else sqlite_insert)(_HEADS).values(values)
    await session.execute(create.on_conflict_do_nothing(index_elements=["tenant_id"]))
    row = (await session.execute(query)).one()
    return int(row.seq), str(row.hash)


async def move_head(session: AsyncSession, tenant_id: str, seq: int, head_hash: str) -> None:
    await session.execute(
        update(_HEADS)
        .where(_HEADS.c.tenant_id == tenant_id)
        .values(seq=seq, hash=head_hash, updated_at=utcnow())
    )


async def store_chained(
    session: AsyncSession, events: Sequence[dict[str, Any]], *, maybe_stored: bool = True
) -> int:
    """Chains and inserts events (in the caller's transaction); returns how many were new.
    ``maybe_stored=False``: the caller knows none of them can be stored yet."""
    by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        event.setdefault("event_uid", uuid.uuid4().hex)
        by_tenant[event["tenant_id"]].append(event)
    # Heads are locked in one order by every writer, so two replicas cannot deadlock;
    # once they are locked, nobody else can be storing these tenants' events.
    heads = {tenant_id: await lock_head(session, tenant_id) for tenant_id in sorted(by_tenant)}
    stored: set[str] = set()
    if maybe_stored:
        uids = [event["event_uid"] for event in events]
        query = select(_EVENTS.c.event_uid).where(_EVENTS.c.event_uid.in_(uids))
        stored = set((await session.scalars(query)).all())
    rows: list[dict[str, Any]] = []
    for tenant_id, (seq, head) in heads.items():
        fresh = []
        for event in by_tenant[tenant_id]:
            if event["event_uid"] not in stored:  # a replayed spool, or a retried batch
                stored.add(event["event_uid"])
                fresh.append(event)
        if fresh:
            seq, head = chain_events(fresh, head_seq=seq, head_hash=head)
            await move_head(session, tenant_id, seq, head)
            rows.extend(fresh)
    if rows:
        # A Core executemany: the ORM's per-row bulk bookkeeping cost more than the insert.
        await session.execute(_INSERT, rows)
    return len(rows)


class _Batches(BatchWriter[Spooled]):
    name = "audit"

    def __init__(self, *, spool: Spool | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spool = spool
        self.store_ok = True

    async def write_batch(self, session: AsyncSession, batch: Sequence[Spooled]) -> None:
        maybe_stored = any(item.maybe_stored for item in batch)
        for item in batch:  # should this attempt fail, even after its commit, a retry checks
            item.maybe_stored = True
        await store_chained(session, [item.event for item in batch], maybe_stored=maybe_stored)

    def on_written(self, batch: Sequence[Spooled]) -> None:
        self.store_ok = True
        metrics.AUDIT_EVENTS_WRITTEN.inc(len(batch))
        if self.spool is None:
            return
        counts: dict[Segment, int] = defaultdict(int)
        for item in batch:
            if item.segment is not None:
                counts[item.segment] += 1
        for segment, count in counts.items():
            self.spool.release(segment, count)

    def on_dropped(self, item: Spooled) -> None:
        log.error(
            "an audit event was refused by the database", extra={"event_uid": item.event.get("event_uid")}
        )
        if self.spool is not None:
            self.spool.reject(item.event)

    def on_failure(self, exc: BaseException | None) -> None:
        if exc is not None:
            self.store_ok = False
        metrics.AUDIT_WRITE_ERRORS.inc()


class AuditWriter:
    """What the rest of Candor submits audit events to."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        batch_size: int,
        flush_interval_s: float,
        spool: Spool | None = None,
        companions: Sequence[Background] = (),
        stop_timeout_s: float = 10.0,
    ) -> None:
        self._spool = spool
        self._stop_timeout_s = stop_timeout_s
        self._companions = tuple(companions)
        self._batches = _Batches(
            spool=spool,
            sessionmaker=sessionmaker,
            gate=gate,
            batch_size=batch_size,
            flush_interval_s=flush_interval_s,
        )

    @property
    def store_available(self) -> bool:
        """False while the last attempt to write to the database failed."""
        return self._batches.store_ok

    @property
    def backlog(self) -> int:
        return self._batches.backlog

    async def start(self) -> int:
        """Opens the spool, queues what dead processes left in it, starts writing;
        returns how many spooled events were queued for replay."""
        replayed = 0
        if self._spool is not None:
            self._spool.open()
            for segment, events in self._spool.adopt_orphans():
                self._batches.submit(Spooled(event, segment, maybe_stored=True) for event in events)
                replayed += len(events)
                if not events:
                    self._spool.release(segment, 0)
            if replayed:
                log.info("replaying audit spool", extra={"events": replayed})
        await self._batches.start()
        for companion in self._companions:
            await companion.start()
        return replayed

    def submit(self, items: Iterable[dict[str, Any]]) -> None:
        """Queues events (no waiting on the caller's side): spool, then database."""
        self._enqueue(list(items))

    async def submit_durable(self, items: Iterable[dict[str, Any]]) -> None:
        """Queues events and returns once they survive a crash (fsync'd to the spool).
        Without a spool (an in-memory database, gone with the process anyway) it does not
        wait."""
        durable = self._enqueue(list(items))
        if durable is not None:
            await durable

    def _enqueue(self, batch: list[dict[str, Any]]) -> asyncio.Future[None] | None:
        if not batch:
            return None
        for event in batch:  # before spooling: a replay must find the same id
            event.setdefault("event_uid", uuid.uuid4().hex)
        if self._spool is None:
            self._batches.submit(Spooled(event, None) for event in batch)
            return None
        segment, durable = self._spool.append(batch)
        self._batches.submit(Spooled(event, segment) for event in batch)
        return durable

    async def flush(self) -> None:
        await self._batches.flush()

    async def stop(self) -> None:
        for companion in self._companions:
            await companion.stop()
        if self._spool is None:
            await self._batches.stop()
            return
        # With the events safe in the spool, a database that is away does not hold up
        # the shutdown: what is left is replayed at the next start.
        if not await self._batches.stop(give_up_after_s=self._stop_timeout_s):
            log.warning(
                "audit store unreachable at shutdown; events stay in the spool",
                extra={"events": self.backlog},
            )
        if self._spool is not None:
            await self._spool.close()
