"""Consent to AI, per customer: the current choice (read on every turn) and its history.

A customer is known only by their subject: the keyed pseudonym of their id, or
``conversation:<id>`` for an anonymous customer (the vault's subjects, see
``app.conversations.vault.subject_of``). The raw customer id is never stored here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class CustomerConsent(Base):
    """The customer's current choice: one primary-key lookup on the turn's hot path."""

    __tablename__ = "customer_consents"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    ai: Mapped[str] = mapped_column(String(16))  # opt_in | opt_out
    source: Mapped[str] = mapped_column(String(16))  # api | chat | widget
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentChange(Base):
    """Every change of choice, with when and how it was made (the proof of consent)."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_subject", "tenant_id", "subject", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(100))
    ai: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # in-chat changes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
