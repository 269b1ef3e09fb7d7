"""Conversations and their messages. Stored message text is always the redacted text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # The customer id as the widget gave it (needed for export and erasure); the audit
    # trail only ever holds the keyed pseudonym.
    customer_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer_pseudonym: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    mode: Mapped[str] = mapped_column(String(16), default="bot")
    ai_turns: Mapped[int] = mapped_column(Integer, default=0)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(35), nullable=True)
    region: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # What detectors remember between turns (scores, keyed hashes of recent messages);
    # never text. Keyed by guardrail state name ("frustration", "loop", "bot_replies").
    guardrail_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        Index("ix_messages_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    # customer | ai | agent | system
    author_kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    # Hidden from the customer: agents' notes, and hand-back notes meant for the bot.
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    author_name: Mapped[str | None] = mapped_column(String(100), nullable=True)  # an agent's display name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
