"""Reading a customer's consent to AI at the start of every turn, next to the
conversation lookup and at the same time as it.

Both subjects a turn may have are asked for at once: the customer's pseudonym (from the
request) and ``conversation:<id>`` (an anonymous conversation's own choice), so the
read needs nothing from the conversation lookup and runs beside it. On a SQLite file it
is one hop on a read-only stdlib connection owned by one thread (the reason is in
``app.conversations.lookup``: a session costs several thread hops, ~1 ms); on
PostgreSQL it is one primary-key ``SELECT`` on a pooled connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.customers.models import CustomerConsent
from app.customers.subjects import conversation_subject

_BY_SUBJECTS = select(CustomerConsent.subject, CustomerConsent.ai).where(
    CustomerConsent.tenant_id == bindparam("tenant_id"),
    CustomerConsent.subject.in_([bindparam("first"), bindparam("second")]),
)


class ConsentLookup:
    """``choices(...)``; give it the ``engine`` for the one-hop SQLite read (without it,
    every read goes through a session: correct, only slower). ``close()`` when done."""

    def __init__(
        self, *, sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine | None = None
    ) -> None:
        self._sessionmaker = sessionmaker
        self._sqlite: _SqliteConsentReader | None = None
        url = make_url(str(engine.url)) if engine is not None else None
        database = url.database if url is not None else None
        if (
            engine is not None
            and url is not None
            and url.get_backend_name() == "sqlite"
            and database
            and database != ":memory:"
        ):
            self._sqlite = _SqliteConsentReader(
                path=str(Path(database).resolve()), sql=str(_BY_SUBJECTS.compile(dialect=engine.dialect))
            )

    async def choices(
        self, *, tenant_id: str, pseudonym: str | None, conversation_id: str | None
    ) -> dict[str, str | None]:
        """Each subject asked about -> its stored choice (``opt_in``/``opt_out``) or None."""
        subjects = [s for s in (pseudonym, conversation_id and conversation_subject(conversation_id)) if s]
        if not subjects:
            return {}  # a new anonymous conversation: nobody to have chosen yet
        first, second = subjects[0], subjects[-1]
        if self._sqlite is not None:
            found = await self._sqlite.read(tenant_id, first, second)
        else:
            async with self._sessionmaker() as session:
                rows = await session.execute(
                    _BY_SUBJECTS, {"tenant_id": tenant_id, "first": first, "second": second}
                )
                found = {subject: ai for subject, ai in rows}
        return {subject: found.get(subject) for subject in subjects}

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()


class _SqliteConsentReader:
    def __init__(self, *, path: str, sql: str) -> None:
        self._path = path
        self._sql = sql
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="consent-lookup")
        self._connection: sqlite3.Connection | None = None

    async def read(self, tenant_id: str, first: str, second: str) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._fetch, tenant_id, first, second)

    def _fetch(self, tenant_id: str, first: str, second: str) -> dict[str, str]:
        if self._connection is None:
            # Read-only: this path can never write.
            self._connection = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=30)
        # fetchall: the statement completes and releases its read snapshot at once.
        return dict(self._connection.execute(self._sql, (tenant_id, first, second)).fetchall())

    def close(self) -> None:
        def _close() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
