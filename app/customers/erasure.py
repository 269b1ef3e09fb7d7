"""Erasure (GDPR Art. 17): a customer's data goes, and a PII-free record that it went stays.

In one write transaction: the customer's open handoffs are closed (agents' consoles are
told), then their vault key is destroyed (crypto-shredding: any copy of their encrypted
values, in a backup too, can no longer be read), their vault entries, messages, handoffs,
conversations and consent records are deleted. The audit trail is never touched: it holds
only the customer's pseudonym, and its chain keeps verifying. ``subject.erased`` is added
to it with the counts. Erasing again finds nothing and deletes nothing (idempotent).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import delete
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.events import AuditScope
from app.conversations.models import Conversation, Message
from app.conversations.vault_models import SubjectKey, VaultEntry
from app.customers.export import customer_conversations
from app.customers.handoffs import close_for_erasure
from app.customers.models import ConsentChange, CustomerConsent
from app.customers.subjects import conversation_subject
from escalation.models import Handoff
from escalation.store import Change

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ErasureCounts:
    conversations: int = 0
    messages: int = 0
    vault_entries: int = 0
    vault_keys: int = 0
    handoffs_closed: int = 0
    consent_records: int = 0


async def erase_customer(
    *, session: AsyncSession, tenant_id: str, customer_id: str, pseudonym: str, request_id: str | None
) -> tuple[ErasureCounts, list[Change]]:
    """Deletes the customer's data in the caller's write transaction; returns the counts and
    the handoff changes to announce once it has committed."""
    conversations = await customer_conversations(
        session=session, tenant_id=tenant_id, customer_id=customer_id, pseudonym=pseudonym
    )
    changes = await close_for_erasure(session=session, conversations=conversations, request_id=request_id)
    ids = [conversation.id for conversation in conversations]
    subjects = [pseudonym, *(conversation_subject(conversation_id) for conversation_id in ids)]
    vault_entries = messages = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        vault_entries += await _delete(
            session, delete(VaultEntry).where(VaultEntry.conversation_id.in_(chunk))
        )
        messages += await _delete(session, delete(Message).where(Message.conversation_id.in_(chunk)))
        await _delete(session, delete(Handoff).where(Handoff.conversation_id.in_(chunk)))
    vault_keys = consent_records = 0
    for start in range(0, len(subjects), _CHUNK):
        chunk = subjects[start : start + _CHUNK]
        # Crypto-shredding: without its key, no copy of the customer's values can be read.
        vault_keys += await _delete(
            session,
            delete(SubjectKey).where(SubjectKey.tenant_id == tenant_id, SubjectKey.subject.in_(chunk)),
        )
        consent_records += await _delete(
            session,
            delete(ConsentChange).where(
                ConsentChange.tenant_id == tenant_id, ConsentChange.subject.in_(chunk)
            ),
        )
        await _delete(
            session,
            delete(CustomerConsent).where(
                CustomerConsent.tenant_id == tenant_id, CustomerConsent.subject.in_(chunk)
            ),
        )
    deleted = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        deleted += await _delete(session, delete(Conversation).where(Conversation.id.in_(chunk)))
    counts = ErasureCounts(
        conversations=deleted,
        messages=messages,
        vault_entries=vault_entries,
        vault_keys=vault_keys,
        handoffs_closed=len(changes),
        consent_records=consent_records,
    )
    return counts, changes


def erasure_event(
    *, tenant_id: str, pseudonym: str, counts: ErasureCounts, actor: str, request_id: str | None
) -> dict[str, Any]:
    """``subject.erased``: who (pseudonym only), by whom (a key id), and how much went."""
    return AuditScope(tenant_id=tenant_id, request_id=request_id, customer_pseudonym=pseudonym).event(
        "subject.erased",
        actor=actor,
        action="erase",
        reason="the customer's data was erased on request",
        details=asdict(counts),
    )


async def _delete(session: AsyncSession, statement: Any) -> int:
    result = cast("CursorResult[Any]", await session.execute(statement))
    return max(result.rowcount or 0, 0)
