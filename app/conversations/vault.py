"""The PII vault: loading a conversation's token map, and storing new values encrypted.

Every customer (subject) has their own random AES-256-GCM key, stored wrapped by a key
derived from CANDOR_SECRET_KEY. Each original value is encrypted under the subject's key
with the conversation id and token as associated data, so a ciphertext moved to another
row or conversation does not decrypt. Anonymous customers get a key per conversation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.conversations.vault_models import SubjectKey, VaultEntry
from app.db import new_id, table_of, utcnow
from guardrails.pii_tokens import PiiTokens

_NONCE = 12
_KEY_QUERY = select(SubjectKey.id, SubjectKey.wrapped_key).where(
    SubjectKey.tenant_id == bindparam("tenant_id"), SubjectKey.subject == bindparam("subject")
)
# Built once: constructing statements per call cost more CPU than running them.
_ENTRIES_QUERY = (
    select(
        VaultEntry.token,
        VaultEntry.entity_type,
        VaultEntry.ciphertext,
        SubjectKey.wrapped_key,
        SubjectKey.tenant_id,
        SubjectKey.subject,
    )
    .join(SubjectKey, SubjectKey.id == VaultEntry.subject_key_id)
    .where(VaultEntry.conversation_id == bindparam("conversation_id"))
    .order_by(VaultEntry.id)
)
_INSERT_ENTRY = insert(table_of(VaultEntry))
_INSERT_KEY = {
    "sqlite": sqlite_insert(table_of(SubjectKey)).on_conflict_do_nothing(
        index_elements=["tenant_id", "subject"]
    ),
    "postgresql": postgresql_insert(table_of(SubjectKey)).on_conflict_do_nothing(
        index_elements=["tenant_id", "subject"]
    ),
}


@dataclass(frozen=True, slots=True)
class VaultWrite:
    """One turn's newly issued tokens for a conversation (which may not be stored yet).
    ``likely_new``: the conversation started this turn (a hint that saves a lookup)."""

    conversation: Conversation
    tokens: PiiTokens
    likely_new: bool = False


def subject_of(conversation: Conversation) -> str:
    return conversation.customer_pseudonym or f"conversation:{conversation.id}"


class Vault:
    def __init__(self, *, wrap_key: bytes) -> None:
        self._wrap = AESGCM(wrap_key)

    async def load(self, *, session: AsyncSession, conversation_id: str) -> PiiTokens:
        rows = await session.execute(_ENTRIES_QUERY, {"conversation_id": conversation_id})
        keys: dict[bytes, AESGCM] = {}
        entries = []
        for token, entity_type, ciphertext, wrapped, tenant_id, subject in rows:
            cipher = keys.get(wrapped)
            if cipher is None:
                cipher = keys[wrapped] = AESGCM(self._unwrap(wrapped, tenant_id=tenant_id, subject=subject))
            value = cipher.decrypt(ciphertext[:_NONCE], ciphertext[_NONCE:], _aad(conversation_id, token))
            entries.append((token, entity_type, value.decode()))
        return PiiTokens(entries)

    async def save_many(self, *, session: AsyncSession, writes: Sequence[VaultWrite]) -> int:
        """Stores the entries each write's turn issued, in the caller's transaction, with
        the conversations they belong to (inserted unless stored already); returns how many
        entries were stored. Writes of many turns share one insert of all their entries."""
        pending = [(write, new) for write in writes if (new := write.tokens.new_entries())]
        if not pending:
            return 0
        await conversations.ensure_stored_many(
            session=session, conversations=[write.conversation for write, _ in pending]
        )
        keys: dict[tuple[str, str], tuple[str, AESGCM]] = {}
        now = utcnow()
        rows = []
        for write, new in pending:
            conversation = write.conversation
            subject = (conversation.tenant_id, subject_of(conversation))
            if subject not in keys:
                key_id, key = await self._subject_key(
                    session=session,
                    conversation=conversation,
                    likely_new=write.likely_new and not conversation.customer_pseudonym,
                )
                keys[subject] = key_id, AESGCM(key)
            key_id, cipher = keys[subject]
            for token, entity_type, value in new:
                nonce = os.urandom(_NONCE)
                ciphertext = nonce + cipher.encrypt(nonce, value.encode(), _aad(conversation.id, token))
                rows.append(
                    {
                        "tenant_id": conversation.tenant_id,
                        "conversation_id": conversation.id,
                        "subject_key_id": key_id,
                        "token": token,
                        "entity_type": entity_type,
                        "ciphertext": ciphertext,
                        "created_at": now,
                    }
                )
        await session.execute(_INSERT_ENTRY, rows)
        return len(rows)

    async def _subject_key(
        self, *, session: AsyncSession, conversation: Conversation, likely_new: bool
    ) -> tuple[str, bytes]:
        """The subject's key, created on first use. A subject seen before is looked up
        first; a new anonymous conversation's subject cannot exist yet, so its key is
        inserted first (one statement, not three)."""
        subject = subject_of(conversation)
        tenant_id = conversation.tenant_id
        if not likely_new:
            row = (await session.execute(_KEY_QUERY, {"tenant_id": tenant_id, "subject": subject})).first()
            if row is not None:
                return row[0], self._unwrap(row[1], tenant_id=tenant_id, subject=subject)
        key = AESGCM.generate_key(bit_length=256)
        key_id = new_id()
        values = {
            "id": key_id,
            "tenant_id": tenant_id,
            "subject": subject,
            "wrapped_key": self._wrap_key(key, tenant_id=tenant_id, subject=subject),
            "created_at": utcnow(),
        }
        # Two turns of one new customer may race here; both end up with the same key.
        inserted = cast(
            "CursorResult[Any]", await session.execute(_INSERT_KEY[session.get_bind().dialect.name], values)
        )
        if inserted.rowcount == 1:
            return key_id, key
        row = (await session.execute(_KEY_QUERY, {"tenant_id": tenant_id, "subject": subject})).one()
        return row[0], self._unwrap(row[1], tenant_id=tenant_id, subject=subject)

    def _wrap_key(self, key: bytes, *, tenant_id: str, subject: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._wrap.encrypt(nonce, key, f"{tenant_id}\x00{subject}".encode())

    def _unwrap(self, wrapped: bytes, *, tenant_id: str, subject: str) -> bytes:
        return self._wrap.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], f"{tenant_id}\x00{subject}".encode())


def _aad(conversation_id: str, token: str) -> bytes:
    return f"{conversation_id}\x00{token}".encode()
