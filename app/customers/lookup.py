"""Reading a customer's consent to AI at the start of every turn, next to the
conversation lookup and at the same time as it.

Both subjects a turn may have are asked for at once: the customer's pseudonym (from the
request) and ``conversation:<id>`` (an anonymous conversation's own choice), so the
read needs nothing from the conversation lookup and runs beside it. It goes through
``app.turn_reads``: one hop on a SQLite file, one round trip on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.customers.models import CustomerConsent
from app.customers.subjects import conversation_subject
from app.pg_reads import PgReader
from app.turn_reads import TurnReader

_BY_SUBJECTS = select(CustomerConsent.subject, CustomerConsent.ai).where(
    CustomerConsent.tenant_id == bindparam("tenant_id"),
    CustomerConsent.subject.in_([bindparam("first"), bindparam("second")]),
)


class ConsentLookup:
    """``choices(...)``; give it the ``engine`` for the one-hop SQLite read, or a
    ``pg_reader`` on PostgreSQL (without them, every read goes through a session: correct,
    only slower). ``close()`` when done."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        engine: AsyncEngine | None = None,
        pg_reader: PgReader | None = None,
    ) -> None:
        self._reader = TurnReader(
            sessionmaker=sessionmaker, engine=engine, pg_reader=pg_reader, name="consent-lookup"
        )

    async def choices(
        self, *, tenant_id: str, pseudonym: str | None, conversation_id: str | None
    ) -> dict[str, str | None]:
        """Each subject asked about -> its stored choice (``opt_in``/``opt_out``) or None."""
        subjects = [s for s in (pseudonym, conversation_id and conversation_subject(conversation_id)) if s]
        if not subjects:
            return {}  # a new anonymous conversation: nobody to have chosen yet
        first, second = subjects[0], subjects[-1]
        parameters = {"tenant_id": tenant_id, "first": first, "second": second}
        found: dict[str, str | None] = dict(await self._reader.fetchall(_BY_SUBJECTS, parameters))
        return {subject: found.get(subject) for subject in subjects}

    def close(self) -> None:
        self._reader.close()
