"""Streaming a tenant's audit trail out as NDJSON or CSV, closed by a signed manifest.

The export walks the chain in ``seq`` order, one keyset page at a time, so memory stays
flat however many events there are. It stops at the chain head it saw when it began:
events written meanwhile belong to the next export (and the ``audit.exported`` event that
records this export is one of them).

NDJSON: one event per line, the canonical JSON of its chain body plus its ``hash`` — exactly
what the hash chain covers, so an offline verifier can recompute every hash. CSV: the same
columns (findings and details as JSON), one row per event, ``hash`` last. Both end with the
trailer described in ``app.audit.manifest``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.chain import CHAINED_COLUMNS, canonical_event
from app.audit.checkpoints import checkpoint_body, latest_checkpoint
from app.audit.manifest import ManifestBuilder, canonical
from app.audit.models import AuditCheckpoint, AuditEvent
from app.audit.query import EventFilter, apply_filters
from app.db import table_of
from app.errors import InvalidRequest

FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
PAGE_SIZE = 1000
_TABLE = table_of(AuditEvent)


def media_type(content: str) -> str:
    if content not in FORMATS:
        raise InvalidRequest("format must be 'ndjson' or 'csv'", param="format")
    return FORMATS[content]


def csv_columns() -> list[str]:
    """The chain body's columns in canonical (sorted) order, then ``hash``."""
    return [*sorted(CHAINED_COLUMNS), "hash"]


@dataclass(frozen=True, slots=True)
class ExportStart:
    """Where an export stops: the chain head, and the latest checkpoint, when it began."""

    head_seq: int
    checkpoint: dict[str, Any] | None


async def export_start(session: AsyncSession, tenant_id: str) -> ExportStart:
    # The checkpoint first: then it can never be ahead of the head the export stops at.
    checkpoint = await latest_checkpoint(session, tenant_id)
    head = await _chain_head(session, tenant_id)
    return ExportStart(
        head_seq=head, checkpoint=_signed_checkpoint(checkpoint) if checkpoint is not None else None
    )


async def export_events(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant_id: str,
    filters: EventFilter,
    content: str,
    signing_key: Ed25519PrivateKey,
    start: ExportStart | None = None,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[bytes]:
    """The export, chunk by chunk (one chunk per page, then the trailer). ``start`` is
    taken now unless given (the router takes it before it audits the export, so that the
    ``audit.exported`` event is never part of the export it records)."""
    media_type(content)
    async with sessionmaker() as session:
        start = start or await export_start(session, tenant_id)
        builder = ManifestBuilder(
            content=content,
            tenant_id=tenant_id,
            filters=filters.given(),
            head_seq=start.head_seq,
            checkpoint=start.checkpoint,
        )
        columns = csv_columns()
        if content == "csv":
            yield builder.add_bytes(_csv_rows([columns]))
        after = 0
        while True:
            page = await _page(session, tenant_id, filters, after=after, head=start.head_seq, size=page_size)
            if not page:
                break
            lines: list[str] = []
            rows: list[list[str]] = []
            for row in page:
                body = canonical_event(row)
                event_hash = str(row["hash"])
                builder.add_event(body, event_hash)
                if content == "ndjson":
                    lines.append(canonical({**body, "hash": event_hash}) + "\n")
                else:
                    rows.append([*(_cell(body.get(name)) for name in columns[:-1]), event_hash])
            yield builder.add_bytes("".join(lines).encode() if content == "ndjson" else _csv_rows(rows))
            if len(page) < page_size:
                break  # a short page is the last: no need to scan the rest once more
            after = int(page[-1]["seq"])
    yield builder.trailer(signing_key, prefix="#" if content == "csv" else "")


def _signed_checkpoint(row: AuditCheckpoint) -> dict[str, Any]:
    """The checkpoint as its signer saw it, with its hash and signature."""
    return {
        **checkpoint_body(row),
        "checkpoint_hash": row.checkpoint_hash,
        "signature": row.signature,
        "key_id": row.key_id,
    }


async def _chain_head(session: AsyncSession, tenant_id: str) -> int:
    query = select(func.max(AuditEvent.seq)).where(AuditEvent.tenant_id == tenant_id)
    return int((await session.execute(query)).scalar_one() or 0)


async def _page(
    session: AsyncSession, tenant_id: str, filters: EventFilter, *, after: int, head: int, size: int
) -> list[dict[str, Any]]:
    query = apply_filters(select(_TABLE).where(AuditEvent.tenant_id == tenant_id), filters)
    query = query.where(AuditEvent.seq > after, AuditEvent.seq <= head).order_by(AuditEvent.seq).limit(size)
    return [dict(row) for row in (await session.execute(query)).mappings()]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return canonical(value)
    return str(value)


def _csv_rows(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode()
