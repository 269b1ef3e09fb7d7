"""PII vault: per-customer wrapped keys and encrypted originals.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_subject_keys_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_keys")),
        sa.UniqueConstraint("tenant_id", "subject", name=op.f("uq_subject_keys_tenant_id")),
    )
    op.create_table(
        "vault_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("subject_key_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=48), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_vault_entries_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_key_id"],
            ["subject_keys.id"],
            name=op.f("fk_vault_entries_subject_key_id_subject_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_vault_entries_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_entries")),
        sa.UniqueConstraint("conversation_id", "token", name=op.f("uq_vault_entries_conversation_id")),
    )
    op.create_index("ix_vault_entries_subject_key", "vault_entries", ["subject_key_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_vault_entries_subject_key", table_name="vault_entries")
    op.drop_table("vault_entries")
    op.drop_table("subject_keys")
