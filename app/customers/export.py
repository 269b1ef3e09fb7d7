"""Access (GDPR Art. 15): everything Candor holds about one customer, as JSON.

Their conversations with every message (redacted values put back from the vault, agents'
private notes included and marked: they are about the customer too), their handoffs, and
their consent to AI with its history. ``None`` when Candor holds nothing about them (never
seen, or erased).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation, Message
from app.conversations.vault import Vault
from app.customers import consent as consents
from app.customers.models import CustomerConsent
from app.customers.subjects import conversation_subject
from app.db import utcnow
from escalation.models import Handoff
from escalation.views import handoff_as_dict


async def customer_conversations(
    *, session: AsyncSession, tenant_id: str, customer_id: str, pseudonym: str
) -> list[Conversation]:
    """Found by pseudonym, and by the raw id as a safety net for rows written without one."""
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.tenant_id == tenant_id,
            (Conversation.customer_pseudonym == pseudonym) | (Conversation.customer_id == customer_id),
        )
        .order_by(Conversation.created_at, Conversation.id)
    )
    return list(rows)


async def export_customer(
    *, session: AsyncSession, vault: Vault, tenant_id: str, customer_id: str, pseudonym: str
) -> dict[str, Any] | None:
    conversations = await customer_conversations(
        session=session, tenant_id=tenant_id, customer_id=customer_id, pseudonym=pseudonym
    )
    subjects = [pseudonym, *(conversation_subject(c.id) for c in conversations)]
    history = await consents.history(session=session, tenant_id=tenant_id, subjects=subjects)
    standing = await session.get(CustomerConsent, (tenant_id, pseudonym))
    if not conversations and not history and standing is None:
        return None
    return {
        "customer_id": customer_id,
        "exported_at": utcnow().isoformat(),
        "consent": {
            "ai": standing.ai if standing else None,
            "source": standing.source if standing else None,
            "updated_at": standing.updated_at.isoformat() if standing else None,
            "history": [
                {
                    "ai": change.ai,
                    "previous": change.previous,
                    "source": change.source,
                    "conversation_id": change.conversation_id,
                    "at": change.created_at.isoformat(),
                }
                for change in history
            ],
        },
        "conversations": [
            await _conversation(session, vault, conversation) for conversation in conversations
        ],
    }


async def _conversation(session: AsyncSession, vault: Vault, conversation: Conversation) -> dict[str, Any]:
    messages = list(
        await session.scalars(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.seq)
        )
    )
    tokens = await vault.load(session=session, conversation_id=conversation.id)
    handoffs = list(
        await session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation.id).order_by(Handoff.created_at)
        )
    )
    now = utcnow()
    return {
        "id": conversation.id,
        "mode": conversation.mode,
        "channel": conversation.channel,
        "locale": conversation.locale,
        "region": conversation.region,
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
        "messages": [
            {
                "seq": message.seq,
                "author_kind": message.author_kind,
                "author_name": message.author_name,
                "private": message.private,
                "content": tokens.restore(message.content),
                "created_at": message.created_at.isoformat(),
            }
            for message in messages
        ],
        "personal_data_held": [
            {"token": token, "entity_type": entity_type, "value": value}
            for token, entity_type, value in tokens.entries()
        ],
        "handoffs": [handoff_as_dict(handoff, now=now) for handoff in handoffs],
    }
