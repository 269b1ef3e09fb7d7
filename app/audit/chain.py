"""The per-tenant hash chain: the canonical form of an event and its hash.

``hash = sha256(prev_hash + "\\n" + canonical_json)``, where the canonical JSON covers every
``audit_events`` column except ``id`` and ``hash`` (so tenant, seq, prev_hash and
event_uid are all bound). The same function runs when the writer inserts an event, when
``verify`` reads it back and in the offline export checker, so the canonical form must be
identical for what goes in and what comes out of SQLite and PostgreSQL: floats are floats
(a column declared Float reads back as one even if an int went in), datetimes are UTC with
microseconds, JSON columns are dumped with sorted keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

# Columns that are part of the chain, in no particular order (the JSON is key-sorted).
CHAINED_COLUMNS = (
    "tenant_id",
    "seq",
    "prev_hash",
    "event_uid",
    "occurred_at",
    "event_type",
    "request_id",
    "conversation_id",
    "customer_pseudonym",
    "actor",
    "stage",
    "guardrail",
    "action",
    "mode",
    "reason_code",
    "reason",
    "score",
    "findings",
    "details",
    "policy_version",
    "latency_ms",
    "channel",
    "locale",
    "region",
)
_FLOAT_COLUMNS = frozenset({"score", "latency_ms"})
_JSON_DEFAULTS: dict[str, Any] = {"findings": [], "details": {}}


def render_time(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC; naive datetimes are taken as UTC (SQLite)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value.year < 1000:  # isoformat pads years to four digits, strftime does not
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # isoformat: the same text as the strftime above, several times faster (every event
    # is rendered twice: for the spool and for its hash).
    return value.isoformat(timespec="microseconds") + "Z"


def canonical_event(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed body of one event, from a row mapping or an insert dict."""
    body = {column: row.get(column) for column in CHAINED_COLUMNS}
    occurred_at = body["occurred_at"]
    if isinstance(occurred_at, datetime):
        body["occurred_at"] = render_time(occurred_at)
    for column in _FLOAT_COLUMNS:
        value = body[column]
        if value is not None:
            body[column] = float(value)
    for column, empty in _JSON_DEFAULTS.items():
        if body[column] is None:
            body[column] = empty
    if body["reason"] is None:
        body["reason"] = ""
    return body


def canonical_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_json(body)).encode()).hexdigest()


def chain_events(events: list[dict[str, Any]], *, head_seq: int, head_hash: str) -> tuple[int, str]:
    """Gives each event (of one tenant, in order) its seq, prev_hash and hash, in place;
    returns the new head."""
    seq, prev = head_seq, head_hash
    for event in events:
        seq += 1
        event["seq"] = seq
        event["prev_hash"] = prev
        prev = event["hash"] = event_hash(prev, canonical_event(event))
    return seq, prev
