"""Audit trail integrity: per-tenant hash chain heads, signed checkpoints, event ids.

Events stored before this revision are given an event_uid and chained, per tenant, in the
order they were stored (id), so that ``candor audit verify`` covers them too. The chain's
hash is the one definition in ``app.audit.chain`` (imported, not copied: a second copy
that drifted would make every verify fail).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

from app.audit.chain import GENESIS_HASH, chain_events

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Indexes for audit queries (owned by the query/export work; see app/audit/models.py).
_QUERY_INDEXES = {
    "ix_audit_tenant_time_id": ["tenant_id", "occurred_at", "id"],
    "ix_audit_tenant_conversation_time": ["tenant_id", "conversation_id", "occurred_at", "id"],
    "ix_audit_tenant_pseudonym_time": ["tenant_id", "customer_pseudonym", "occurred_at", "id"],
    "ix_audit_tenant_guardrail_time": ["tenant_id", "guardrail", "occurred_at", "id"],
    "ix_audit_tenant_action_time": ["tenant_id", "action", "occurred_at", "id"],
    "ix_audit_tenant_reason_time": ["tenant_id", "reason_code", "occurred_at", "id"],
    "ix_audit_tenant_type_time": ["tenant_id", "event_type", "occurred_at", "id"],
}
_REPLACED_INDEXES = {
    "ix_audit_tenant_conversation": ["tenant_id", "conversation_id", "id"],
    "ix_audit_tenant_time": ["tenant_id", "occurred_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("event_uid", sa.String(length=32), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("event_uid", existing_type=sa.String(length=32), nullable=False)
    op.create_index("uq_audit_events_event_uid", "audit_events", ["event_uid"], unique=True)
    op.create_index("ix_audit_tenant_seq", "audit_events", ["tenant_id", "seq"])
    op.create_table(
        "audit_chain_heads",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_audit_chain_heads")),
    )
    _store_heads()
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_checkpoint_hash", sa.String(length=64), nullable=False),
        sa.Column("checkpoint_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index("ix_audit_checkpoints_tenant", "audit_checkpoints", ["tenant_id", "tree_size"])

    # --- indexes for audit queries (app/audit/query.py): one per filter column, in the
    # (occurred_at, id) order pages are read in,
    # replacing 0001's (tenant, conversation, id) and (tenant, occurred_at) ---
    for name in _REPLACED_INDEXES:
        op.drop_index(name, table_name="audit_events")
    for name, columns in _QUERY_INDEXES.items():
        op.create_index(name, "audit_events", columns)


def downgrade() -> None:
    # --- indexes for audit queries ---
    for name in _QUERY_INDEXES:
        op.drop_index(name, table_name="audit_events")
    for name, columns in _REPLACED_INDEXES.items():
        op.create_index(name, "audit_events", columns)

    op.drop_index("ix_audit_checkpoints_tenant", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_heads")
    op.drop_index("ix_audit_tenant_seq", table_name="audit_events")
    op.drop_index("uq_audit_events_event_uid", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("event_uid")
    op.execute("UPDATE audit_events SET seq = NULL, prev_hash = NULL, hash = NULL")


_heads: dict[str, tuple[int, str]] = {}


def _chain_existing_events() -> None:
    """Chains what an earlier version stored (usually nothing on a fresh database)."""
    _heads.clear()
    bind = op.get_bind()
    events = sa.table(
        "audit_events",
        *(sa.column(name) for name in ("id", "event_uid", "seq", "prev_hash", "hash")),
    )
    typed = sa.table(
        "audit_events",
        sa.column("id", sa.BigInteger()),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("findings", sa.JSON()),
        sa.column("details", sa.JSON()),
        sa.column("score", sa.Float()),
        sa.column("latency_ms", sa.Float()),
        sa.column("policy_version", sa.Integer()),
        *(
            sa.column(name, sa.String())
            for name in (
                "tenant_id",
                "event_type",
                "request_id",
                "conversation_id",
                "customer_pseudonym",
                "actor",
                "stage",
                "guardrail",
                "action",
                "mode",
                "reason_code",
                "reason",
                "channel",
                "locale",
                "region",
            )
        ),
    )
    rows = bind.execute(sa.select(typed).order_by(typed.c.id)).mappings().all()
    for row in rows:
        event: dict[str, Any] = dict(row)
        event["event_uid"] = uuid.uuid4().hex
        seq, head = _heads.get(event["tenant_id"], (0, GENESIS_HASH))
        _heads[event["tenant_id"]] = chain_events([event], head_seq=seq, head_hash=head)
        bind.execute(
            events.update()
            .where(events.c.id == event["id"])
            .values(
                event_uid=event["event_uid"],
                seq=event["seq"],
                prev_hash=event["prev_hash"],
                hash=event["hash"],
            )
        )


def _store_heads() -> None:
    if not _heads:
        return
    heads = sa.table("audit_chain_heads", *(sa.column(n) for n in ("tenant_id", "seq", "hash", "updated_at")))
    now = sa.func.current_timestamp()
    for tenant_id, (seq, head) in _heads.items():
        op.get_bind().execute(heads.insert().values(tenant_id=tenant_id, seq=seq, hash=head, updated_at=now))
