"""Reports over the audit trail: the per-period summary, and the pieces the fairness
report shares with it.

Counts are SQL aggregates (GROUP BY in the database); percentiles are nearest-rank, by
PostgreSQL's ``percentile_disc`` or, on SQLite, by window functions that return only the
rows at the ranks sought; handoff waits stream one row per handoff. No query loads the
event table into memory.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.errors import InvalidRequest

PERIODS = ("day", "week")
DEFAULT_WINDOW = timedelta(days=30)
_STREAM_ROWS = 2000

E = AuditEvent


@dataclass(frozen=True, slots=True)
class Window:
    """A tenant's events in ``since <= occurred_at < until``."""

    tenant_id: str
    since: datetime
    until: datetime

    @classmethod
    def of(cls, tenant_id: str, since: datetime | None, until: datetime | None) -> Window:
        end = _aware(until) if until is not None else datetime.now(UTC)
        start = _aware(since) if since is not None else end - DEFAULT_WINDOW
        if start >= end:
            raise InvalidRequest("since must be earlier than until", param="since")
        return cls(tenant_id=tenant_id, since=start, until=end)

    def where(self) -> ColumnElement[bool]:
        return and_(E.tenant_id == self.tenant_id, E.occurred_at >= self.since, E.occurred_at < self.until)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def period_key(dialect: str, period: str) -> ColumnElement[Any]:
    """The first day (UTC) of the event's day or ISO week, as ``YYYY-MM-DD``."""
    if period not in PERIODS:
        raise InvalidRequest("period must be 'day' or 'week'", param="period")
    if dialect == "postgresql":
        utc = func.timezone("UTC", E.occurred_at)
        return func.to_char(func.date_trunc(period, utc), "YYYY-MM-DD")
    # SQLite keeps UTC times as text; 'weekday 0' moves to the coming Sunday, -6 days to Monday.
    if period == "day":
        return func.date(E.occurred_at)
    return func.date(E.occurred_at, "weekday 0", "-6 days")


def nearest_rank(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def is_enforced_decision(action: str) -> ColumnElement[bool]:
    return and_(E.event_type == "guardrail.decision", E.action == action, E.mode == "enforce")


async def percentiles(
    session: AsyncSession,
    *,
    where: ColumnElement[bool],
    groups: tuple[Any, ...],
    qs: tuple[float, ...],
) -> dict[tuple[Any, ...], dict[float, float]]:
    """Nearest-rank percentiles of ``latency_ms`` per ``groups``, computed by the database."""
    value = E.latency_ms
    present = and_(where, value.is_not(None))
    if dialect_of(session) == "postgresql":
        columns = [func.percentile_disc(q).within_group(value) for q in qs]
        rows = await session.execute(select(*groups, *columns).where(present).group_by(*groups))
        width = len(groups)
        return {tuple(row[:width]): dict(zip(qs, row[width:], strict=True)) for row in rows}
    # SQLite has no percentile aggregate: rank the values per group with window functions
    # and keep only the rows at the nearest ranks, ceil(q * n), in integer arithmetic.
    ranked = (
        select(
            *(column.label(f"g{i}") for i, column in enumerate(groups)),
            value.label("value"),
            func.row_number().over(partition_by=groups, order_by=value).label("rank"),
            func.count().over(partition_by=groups).label("n"),
        )
        .where(present)
        .subquery()
    )
    percents = {q: round(q * 100) for q in qs}
    targets = {q: (percent * ranked.c.n + 99).self_group().op("/")(100) for q, percent in percents.items()}
    keys = [ranked.c[f"g{i}"] for i in range(len(groups))]
    chosen = select(*keys, ranked.c.value, ranked.c.rank, ranked.c.n).where(
        or_(*(ranked.c.rank == target for target in targets.values()))
    )
    result: dict[tuple[Any, ...], dict[float, float]] = defaultdict(dict)
    for *key, latency, rank, count in (await session.execute(chosen)).all():
        for q, percent in percents.items():
            if rank == max(1, (percent * count + 99) // 100):
                result[tuple(key)][q] = float(latency)
    return dict(result)


async def handoff_waits(
    session: AsyncSession, window: Window, group: ColumnElement[Any]
) -> dict[Any, list[float]]:
    """Seconds from each handoff's queueing (in the window) to its first claim, per
    ``group``; handoffs never claimed are left out. Streams one row per handoff."""
    handoff_id = E.details["handoff_id"].as_string()
    claims = select(handoff_id, func.min(E.occurred_at)).where(
        E.tenant_id == window.tenant_id, E.event_type == "handoff.claimed", E.occurred_at >= window.since
    )
    claimed: dict[str, datetime] = {}
    stream = await session.stream(claims.group_by(handoff_id).execution_options(yield_per=_STREAM_ROWS))
    async for hid, moment in stream:
        claimed[hid] = _as_datetime(moment)
    waits: dict[Any, list[float]] = defaultdict(list)
    queued = select(group, handoff_id, E.occurred_at).where(window.where(), E.event_type == "handoff.queued")
    stream = await session.stream(queued.execution_options(yield_per=_STREAM_ROWS))
    async for key, hid, moment in stream:
        if hid in claimed:
            waits[key].append(max(0.0, (claimed[hid] - _as_datetime(moment)).total_seconds()))
    return waits


def _as_datetime(value: Any) -> datetime:
    # An aggregate (min) skips the column type: SQLite hands back text there.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _aware(value)


async def summary(session: AsyncSession, *, window: Window, period: str) -> dict[str, Any]:
    """Per period: turns, redactions by entity type, escalations by reason code, handoff
    wait p50/p90, the share of conversations the bot handled alone, disclosures shown, and
    guardrail latency p50/p95 per guardrail."""
    key = period_key(dialect_of(session), period).label("period")
    where = window.where()
    periods: dict[str, dict[str, Any]] = defaultdict(_empty_period)

    counts = select(
        key,
        func.count(case((E.event_type == "turn.received", 1))),
        func.count(case((and_(E.guardrail == "disclosure", is_enforced_decision("annotate")), 1))),
    ).where(where, E.event_type.in_(("turn.received", "guardrail.decision")))
    for name, turns, disclosures in (await session.execute(counts.group_by(key))).all():
        periods[name]["turns"] = turns
        periods[name]["disclosures_shown"] = disclosures

    escalations = select(key, E.reason_code, func.count()).where(where, E.event_type == "handoff.queued")
    for name, reason, count in (await session.execute(escalations.group_by(key, E.reason_code))).all():
        periods[name]["escalations_by_reason"][reason or "unspecified"] = count

    redactions = select(key, E.findings).where(where, is_enforced_decision("redact"))
    stream = await session.stream(redactions.execution_options(yield_per=_STREAM_ROWS))
    async for name, findings in stream:
        tally: Counter[str] = periods[name]["redactions_by_entity"]
        tally.update(str(f.get("entity_type")) for f in findings or () if isinstance(f, Mapping))

    conversations = (
        select(
            key,
            E.conversation_id,
            func.max(case((E.event_type == "handoff.queued", 1), else_=0)).label("handed_off"),
        )
        .where(where, E.conversation_id.is_not(None), E.event_type.in_(("turn.received", "handoff.queued")))
        .group_by(key, E.conversation_id)
        .subquery()
    )
    shares = select(conversations.c.period, func.count(), func.sum(conversations.c.handed_off)).group_by(
        conversations.c.period
    )
    for name, total, handed_off in (await session.execute(shares)).all():
        periods[name]["conversations"] = total
        periods[name]["bot_resolved_share"] = round((total - (handed_off or 0)) / total, 4) if total else None

    for name, waits in (await handoff_waits(session, window, key)).items():
        periods[name]["handoff_wait_s"] = {
            "count": len(waits),
            "p50": nearest_rank(waits, 0.5),
            "p90": nearest_rank(waits, 0.9),
        }

    decisions = and_(where, E.event_type == "guardrail.decision")
    latency = await percentiles(session, where=decisions, groups=(key, E.guardrail), qs=(0.5, 0.95))
    for (name, guardrail), values in latency.items():
        periods[name]["guardrail_latency_ms"][guardrail] = {"p50": values[0.5], "p95": values[0.95]}

    return {
        "period": period,
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "data": [{"period": name, **_plain(periods[name])} for name in sorted(periods)],
    }


def _empty_period() -> dict[str, Any]:
    return {
        "turns": 0,
        "conversations": 0,
        "bot_resolved_share": None,
        "redactions_by_entity": Counter(),
        "escalations_by_reason": {},
        "handoff_wait_s": {"count": 0, "p50": None, "p90": None},
        "disclosures_shown": 0,
        "guardrail_latency_ms": {},
    }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {name: dict(value) if isinstance(value, Counter) else value for name, value in values.items()}
