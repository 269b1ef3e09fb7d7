"""The handoff queue. Agents' replies and notes are conversation messages (see
``app.conversations.models.Message``: ``author_kind`` agent, ``private`` for notes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow

# At most one open handoff per conversation: enqueue stays idempotent under races.
_OPEN = text("status IN ('queued', 'human')")


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_queue", "tenant_id", "status", "priority", "created_at"),
        Index(
            "ix_handoffs_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # escalation.states.HandoffStatus
    reason_code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)  # 0 urgent ... 3 low; lower is served first
    # Why, in words an agent can read; written from reason codes and guardrail reasons,
    # never from the customer's text.
    summary: Mapped[str] = mapped_column(Text, default="")
    assigned_agent: Mapped[str | None] = mapped_column(String(32), nullable=True)  # API key id
    agent_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    released_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # last (re)queued
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # no-pickup notice
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
