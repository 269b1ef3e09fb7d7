"""Consent to AI: reading a customer's choice (once per turn) and recording a change.

A choice is kept per (tenant, subject), so it applies on every channel and every
conversation of that customer. Each change is stored with its time and source and
audited as ``consent.changed``; the audit event names the customer by pseudonym only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.events import AuditScope
from app.customers.models import ConsentChange, CustomerConsent
from app.db import table_of, utcnow


class AiChoice(StrEnum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class ConsentSource(StrEnum):
    API = "api"  # a chat server or an admin, on the customer's behalf
    CHAT = "chat"  # the customer said so in the conversation
    WIDGET = "widget"  # the widget's button (the same API, labelled by the widget)


# Built once: this runs on every turn of a known customer (a primary-key lookup).
_CURRENT = select(CustomerConsent.ai).where(
    CustomerConsent.tenant_id == bindparam("tenant_id"), CustomerConsent.subject == bindparam("subject")
)
_UPSERT = {
    name: statement.on_conflict_do_update(
        index_elements=["tenant_id", "subject"],
        set_={"ai": statement.excluded.ai, "source": statement.excluded.source,
              "updated_at": statement.excluded.updated_at},
    )
    for name, statement in (
        ("sqlite", sqlite_insert(table_of(CustomerConsent))),
        ("postgresql", postgresql_insert(table_of(CustomerConsent))),
    )
}  # fmt: skip


async def current(*, session: AsyncSession, tenant_id: str, subject: str) -> AiChoice | None:
    """The customer's standing choice, or None when they have never made one."""
    value = (await session.execute(_CURRENT, {"tenant_id": tenant_id, "subject": subject})).scalar()
    return AiChoice(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class ConsentResult:
    ai: AiChoice
    previous: AiChoice | None
    source: ConsentSource

    @property
    def changed(self) -> bool:
        return self.ai is not self.previous


async def record(
    *,
    session: AsyncSession,
    tenant_id: str,
    subject: str,
    ai: AiChoice,
    source: ConsentSource,
    conversation_id: str | None = None,
) -> ConsentResult:
    """Stores the choice in the caller's write transaction. Saying the same thing again
    changes nothing and adds no history."""
    previous = await current(session=session, tenant_id=tenant_id, subject=subject)
    result = ConsentResult(ai=ai, previous=previous, source=source)
    if not result.changed:
        return result
    now = utcnow()
    await session.execute(
        _UPSERT[session.get_bind().dialect.name],
        [
            {
                "tenant_id": tenant_id,
                "subject": subject,
                "ai": ai.value,
                "source": source.value,
                "updated_at": now,
            }
        ],
    )
    await session.execute(
        insert(table_of(ConsentChange)),
        [
            {
                "tenant_id": tenant_id,
                "subject": subject,
                "ai": ai.value,
                "previous": previous.value if previous else None,
                "source": source.value,
                "conversation_id": conversation_id,
                "created_at": now,
            }
        ],
    )
    return result


async def history(*, session: AsyncSession, tenant_id: str, subjects: list[str]) -> list[ConsentChange]:
    if not subjects:
        return []
    rows = await session.scalars(
        select(ConsentChange)
        .where(ConsentChange.tenant_id == tenant_id, ConsentChange.subject.in_(subjects))
        .order_by(ConsentChange.id)
    )
    return list(rows)


def consent_event(scope: AuditScope, result: ConsentResult, *, actor: str) -> dict[str, Any]:
    """``consent.changed``: the new and previous choice and where it came from; the
    customer is the scope's pseudonym, never their id."""
    return scope.event(
        "consent.changed",
        actor=actor,
        action=result.ai.value,
        reason=_REASONS[result.ai],
        details={
            "source": result.source.value,
            "previous": result.previous.value if result.previous else None,
        },
    )


_REASONS = {
    AiChoice.OPT_OUT: "the customer chose not to talk to an AI; every turn goes to a person",
    AiChoice.OPT_IN: "the customer agreed to talk to the AI assistant",
}
