"""Who a customer is to Candor: their subject, and the conversations that belong to it.

A customer with an id is known by the keyed pseudonym of that id (per tenant, see
``app.crypto.customer_pseudonym``); an anonymous customer by ``conversation:<id>``, the
same subjects the PII vault keys are filed under.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations.models import Conversation

_ANONYMOUS = "conversation:"


def conversation_subject(conversation_id: str) -> str:
    """An anonymous customer's subject (the same as the vault's)."""
    return f"{_ANONYMOUS}{conversation_id}"


def subject_of(conversation: Conversation) -> str:
    return conversation.customer_pseudonym or conversation_subject(conversation.id)


async def conversations_of(*, session: AsyncSession, tenant_id: str, subject: str) -> list[Conversation]:
    """The subject's conversations in this tenant, oldest first."""
    if subject.startswith(_ANONYMOUS):
        criterion = Conversation.id == subject.removeprefix(_ANONYMOUS)
    else:
        criterion = Conversation.customer_pseudonym == subject
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.tenant_id == tenant_id, criterion)
        .order_by(Conversation.created_at)
    )
    return list(rows)
