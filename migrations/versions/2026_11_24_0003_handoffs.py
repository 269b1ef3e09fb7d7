"""Handoffs: the queue table, and private notes and agent names on messages.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OPEN = sa.text("status IN ('queued', 'human')")


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("assigned_agent", sa.String(length=32), nullable=True),
        sa.Column("agent_name", sa.String(length=100), nullable=True),
        sa.Column("released_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_handoffs_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_handoffs_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index(op.f("ix_handoffs_conversation_id"), "handoffs", ["conversation_id"], unique=False)
    op.create_index(
        "ix_handoffs_queue", "handoffs", ["tenant_id", "status", "priority", "created_at"], unique=False
    )
    op.create_index(
        "ix_handoffs_open_conversation",
        "handoffs",
        ["conversation_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("author_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("author_name")
        batch.drop_column("private")
    op.drop_index("ix_handoffs_open_conversation", table_name="handoffs")
    op.drop_index("ix_handoffs_queue", table_name="handoffs")
    op.drop_index(op.f("ix_handoffs_conversation_id"), table_name="handoffs")
    op.drop_table("handoffs")
