"""The reads every chat turn pays for, on whichever database Candor runs.

One choice, made once: on a SQLite file a ``SqliteReader`` (the event loop first, its
thread when SQLite is busy); on PostgreSQL a ``PgReader`` (one round trip); otherwise (an
in-memory SQLite, tests) a session. Every path returns plain tuples decoded by the same
SQLAlchemy column types the ORM uses, so callers never see which one ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.pg_reads import PgReader
from app.sqlite_reads import SqliteReader, sqlite_file_of


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...]  # bind parameter names in the order of the ``?`` placeholders
    decoders: tuple[Callable[[Any], Any] | None, ...]


class TurnReader:
    """``fetchall(statement, parameters)``; ``close()`` when done."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        name: str,
        engine: AsyncEngine | None = None,
        pg_reader: PgReader | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._pg_reader = pg_reader
        path = sqlite_file_of(engine) if engine is not None else None
        self._sqlite = SqliteReader(path=path, name=name) if path else None
        self._dialect = engine.dialect if engine is not None else None
        self._compiled: dict[Select, _Compiled] = {}

    async def fetchall(self, statement: Select, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        if self._sqlite is not None:
            compiled = self._compile(statement)
            rows = await self._sqlite.fetchall(compiled.sql, [parameters[name] for name in compiled.order])
            return [_decoded(row, compiled.decoders) for row in rows]
        if self._pg_reader is not None:
            return [tuple(row) for row in await self._pg_reader.fetchall(statement, parameters)]
        async with self._sessionmaker() as session:
            return [tuple(row) for row in (await session.execute(statement, dict(parameters))).all()]

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()

    def _compile(self, statement: Select) -> _Compiled:
        compiled = self._compiled.get(statement)
        if compiled is None:
            assert self._dialect is not None
            sqlalchemy_compiled = statement.compile(dialect=self._dialect)
            compiled = _Compiled(
                sql=str(sqlalchemy_compiled),
                order=tuple(sqlalchemy_compiled.positiontup or ()),
                decoders=_decoders(statement, self._dialect),
            )
            self._compiled[statement] = compiled
        return compiled


def _decoders(statement: Select, dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each selected column's result processor for this dialect (JSON, UTC datetimes, ...)."""
    return tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.selected_columns
    )


def _decoded(row: Any, decoders: tuple[Callable[[Any], Any] | None, ...]) -> tuple[Any, ...]:
    return tuple(
        decode(value) if decode is not None else value for decode, value in zip(decoders, row, strict=True)
    )
