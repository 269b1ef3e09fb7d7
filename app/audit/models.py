"""The audit event row. Decisions, ids, scores and offsets; never customer text or PII.

Events are hash-chained per tenant (``app.audit.chain``): the writer fills ``seq``,
``prev_hash`` and ``hash`` under a lock on the tenant's ``AuditChainHead``; signed
``AuditCheckpoint`` rows pin the chain's head from time to time (``app.audit.checkpoints``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_tenant_id", "tenant_id", "id"),
        Index("ix_audit_tenant_seq", "tenant_id", "seq"),
        Index("uq_audit_events_event_uid", "event_uid", unique=True),
        # Indexes for audit queries (app/audit/query.py): pages are in (occurred_at, id)
        # order, so each filter column leads one range scan of (tenant, value, time). They
        # replace 0001's (tenant, conversation, id) and (tenant, occurred_at).
        Index("ix_audit_tenant_time_id", "tenant_id", "occurred_at", "id"),
        Index("ix_audit_tenant_conversation_time", "tenant_id", "conversation_id", "occurred_at", "id"),
        Index("ix_audit_tenant_pseudonym_time", "tenant_id", "customer_pseudonym", "occurred_at", "id"),
        Index("ix_audit_tenant_guardrail_time", "tenant_id", "guardrail", "occurred_at", "id"),
        Index("ix_audit_tenant_action_time", "tenant_id", "action", "occurred_at", "id"),
        Index("ix_audit_tenant_reason_time", "tenant_id", "reason_code", "occurred_at", "id"),
        Index("ix_audit_tenant_type_time", "tenant_id", "event_type", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    # Set when the event is built (uuid4 hex): replaying the spool never stores it twice.
    event_uid: Mapped[str] = mapped_column(String(32))
    tenant_id: Mapped[str] = mapped_column(String(36))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_type: Mapped[str] = mapped_column(String(40))  # guardrail.decision, backend.call, ...
    request_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    customer_pseudonym: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(64))  # guardrail name, key id, "system"
    stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    guardrail: Mapped[str | None] = mapped_column(String(40), nullable=True)
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    policy_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(35), nullable=True)
    region: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # The per-tenant hash chain: 1, 2, 3 ... with no gaps; genesis prev_hash is 64 zeros.
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditChainHead(Base):
    """The last chained event of each tenant; its row lock orders writers across replicas."""

    __tablename__ = "audit_chain_heads"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditCheckpoint(Base):
    """A signed statement "tenant T's chain had N events ending in hash H", chained to the
    tenant's previous checkpoint."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_tenant", "tenant_id", "tree_size"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    prev_checkpoint_hash: Mapped[str] = mapped_column(String(64))
    checkpoint_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(16))
