"""The PII vault: per-customer keys (wrapped) and the encrypted originals of redacted values.

Erasing a customer deletes their key row; the entries go with it (and, being encrypted
under that key, would be unreadable even from a backup).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, new_id, utcnow


class SubjectKey(Base):
    __tablename__ = "subject_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "subject"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # The customer's pseudonym, or "conversation:<id>" for an anonymous customer.
    subject: Mapped[str] = mapped_column(String(100))
    # AES-256-GCM key, wrapped with the key derived from CANDOR_SECRET_KEY (nonce || ct).
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VaultEntry(Base):
    __tablename__ = "vault_entries"
    __table_args__ = (
        UniqueConstraint("conversation_id", "token"),
        Index("ix_vault_entries_subject_key", "subject_key_id"),
        Index("ix_vault_entries_tenant_created", "tenant_id", "created_at"),  # retention purges
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    subject_key_id: Mapped[str] = mapped_column(ForeignKey("subject_keys.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(48))
    entity_type: Mapped[str] = mapped_column(String(40))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)  # nonce || AES-GCM(value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
