"""The fairness report: how each customer segment (channel, locale or region) is treated,
compared with the best-treated segment under the four-fifths rule.

Every metric is turned into a *favourable* quantity before comparing, so that "best-treated"
is always the largest one:

- ``escalation_rate`` (turns a guardrail escalated to a human / turns) and
  ``redaction_rate`` (turns whose PII was redacted / turns): higher is better — a segment
  whose distress or personal data goes unnoticed more often (a language the lexicons or
  the NER model cover worse) is the one treated worse.
- ``handoff_rate`` (conversations handed to a person / conversations): higher is better —
  access to a human.
- ``block_rate`` (turns refused by a guardrail / turns): lower is better; compared as the
  share of turns *not* refused, the favourable outcome of the four-fifths rule.
- ``wait_p50_s`` (median seconds from queue to claim): lower is better; the ratio is the
  best median over the segment's median.

A segment's disparity ratio is its favourable value over the best one; it is flagged when
the ratio is below 0.8 and the metric has at least ``min_samples`` samples in the segment.
Only segments with enough samples can be the best; smaller ones are reported, never flagged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.audit.reports import Window, handoff_waits, is_enforced_decision, nearest_rank
from app.errors import InvalidRequest

E = AuditEvent
SEGMENTS: dict[str, Any] = {"channel": E.channel, "locale": E.locale, "region": E.region}
FOUR_FIFTHS = 0.8
DEFAULT_MIN_SAMPLES = 30
UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    samples: str  # which count is the metric's sample size
    favourable: Callable[[float], float]


METRICS = (
    Metric("escalation_rate", "turns", lambda rate: rate),
    Metric("redaction_rate", "turns", lambda rate: rate),
    Metric("handoff_rate", "conversations", lambda rate: rate),
    Metric("block_rate", "turns", lambda rate: 1.0 - rate),
    # A zero wait is the best possible; the guard keeps the ratio finite.
    Metric("wait_p50_s", "handoffs_claimed", lambda seconds: 1.0 / max(seconds, 0.001)),
)


def _turns_with(action: str) -> ColumnElement[Any]:
    return func.count(distinct(case((is_enforced_decision(action), E.request_id))))


async def fairness(
    session: AsyncSession, *, window: Window, segment: str, min_samples: int = DEFAULT_MIN_SAMPLES
) -> dict[str, Any]:
    column = SEGMENTS.get(segment)
    if column is None:
        raise InvalidRequest("segment must be one of channel, locale, region", param="segment")
    if min_samples < 1:
        raise InvalidRequest("min_samples must be at least 1", param="min_samples")
    where = window.where()
    rows: dict[str, dict[str, Any]] = defaultdict(_empty_segment)

    turns = select(
        column,
        func.count(case((E.event_type == "turn.received", 1))),
        _turns_with("escalate"),
        _turns_with("redact"),
        _turns_with("block"),
    ).where(where, E.event_type.in_(("turn.received", "guardrail.decision")))
    for value, count, escalated, redacted, blocked in (await session.execute(turns.group_by(column))).all():
        row = rows[value or UNSPECIFIED]
        row["turns"] = count
        row["values"].update(
            escalation_rate=_rate(escalated, count),
            redaction_rate=_rate(redacted, count),
            block_rate=_rate(blocked, count),
        )

    per_conversation = (
        select(
            column.label("segment"),
            E.conversation_id,
            func.max(case((E.event_type == "handoff.queued", 1), else_=0)).label("handed_off"),
        )
        .where(where, E.conversation_id.is_not(None), E.event_type.in_(("turn.received", "handoff.queued")))
        .group_by(column, E.conversation_id)
        .subquery()
    )
    handoffs = select(
        per_conversation.c.segment, func.count(), func.sum(per_conversation.c.handed_off)
    ).group_by(per_conversation.c.segment)
    for value, count, handed_off in (await session.execute(handoffs)).all():
        row = rows[value or UNSPECIFIED]
        row["conversations"] = count
        row["values"]["handoff_rate"] = _rate(handed_off or 0, count)

    for value, waits in (await handoff_waits(session, window, column)).items():
        row = rows[value or UNSPECIFIED]
        row["handoffs_claimed"] = len(waits)
        row["values"]["wait_p50_s"] = nearest_rank(waits, 0.5)

    best = {metric.name: _best(rows, metric, min_samples) for metric in METRICS}
    return {
        "segment": segment,
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "min_samples": min_samples,
        "threshold": FOUR_FIFTHS,
        "best": {name: value for name, (value, _) in best.items()},
        "data": [_report(name, rows[name], best, min_samples) for name in sorted(rows)],
    }


def _empty_segment() -> dict[str, Any]:
    return {"turns": 0, "conversations": 0, "handoffs_claimed": 0, "values": {}}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _best(rows: dict[str, dict[str, Any]], metric: Metric, min_samples: int) -> tuple[str | None, float]:
    eligible = [
        (metric.favourable(row["values"][metric.name]), name)
        for name, row in rows.items()
        if row[metric.samples] >= min_samples and row["values"].get(metric.name) is not None
    ]
    if not eligible:
        return None, 0.0
    favourable, name = max(eligible)
    return name, favourable


def _report(
    name: str, row: dict[str, Any], best: dict[str, tuple[str | None, float]], min_samples: int
) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for metric in METRICS:
        value = row["values"].get(metric.name)
        samples = row[metric.samples]
        _, top = best[metric.name]
        ratio = round(metric.favourable(value) / top, 4) if value is not None and top > 0 else None
        metrics[metric.name] = {
            "value": value,
            "samples": samples,
            "disparity_ratio": ratio,
            "flag": ratio is not None and ratio < FOUR_FIFTHS and samples >= min_samples,
        }
    return {
        "value": name,
        "turns": row["turns"],
        "conversations": row["conversations"],
        "handoffs_claimed": row["handoffs_claimed"],
        "metrics": metrics,
    }
