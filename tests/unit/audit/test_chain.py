"""The canonical form and hash of an audit event (pure: no database)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.audit.chain import (
    GENESIS_HASH,
    canonical_event,
    canonical_json,
    chain_events,
    event_hash,
    render_time,
)


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_uid": "a" * 32,
        "tenant_id": "t1",
        "occurred_at": datetime(2026, 11, 24, 9, 30, 1, 123456, tzinfo=UTC),
        "event_type": "guardrail.decision",
        "request_id": "req_1",
        "conversation_id": "c1",
        "customer_pseudonym": None,
        "actor": "pii",
        "stage": "input",
        "guardrail": "pii",
        "action": "redact",
        "mode": "enforce",
        "reason_code": None,
        "reason": "an e-mail address was redacted",
        "score": 0.85,
        "findings": [{"entity_type": "EMAIL_ADDRESS", "start": 3, "end": 20, "score": 1.0}],
        "details": {"message_index": 0},
        "policy_version": 2,
        "latency_ms": 1.25,
        "channel": "web",
        "locale": "de-DE",
        "region": None,
    }
    event.update(overrides)
    return event


def test_the_hash_is_sha256_of_prev_hash_newline_and_sorted_compact_json() -> None:
    event = _event(seq=1, prev_hash=GENESIS_HASH)
    body = canonical_event(event)
    expected_json = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    assert canonical_json(body) == expected_json
    expected_hash = hashlib.sha256((GENESIS_HASH + "\n" + expected_json).encode()).hexdigest()
    assert event_hash(GENESIS_HASH, body) == expected_hash


def test_the_body_is_every_column_but_id_and_hash() -> None:
    body = canonical_event(_event(id=7, seq=1, prev_hash=GENESIS_HASH, hash="f" * 64))

    assert "id" not in body and "hash" not in body
    assert {"tenant_id", "seq", "prev_hash", "event_uid"} <= set(body)
    assert body["occurred_at"] == "2026-11-24T09:30:01.123456Z"


@pytest.mark.parametrize(
    ("stored", "read_back"),
    [
        pytest.param({"score": 1}, {"score": 1.0}, id="int-into-a-float-column"),
        pytest.param(
            {"occurred_at": datetime(2026, 11, 24, 10, 30, 1, 123456, tzinfo=timezone(timedelta(hours=1)))},
            {"occurred_at": datetime(2026, 11, 24, 9, 30, 1, 123456)},
            id="offset-time-and-naive-utc",
        ),
        pytest.param(
            {"findings": None, "details": None}, {"findings": [], "details": {}}, id="json-defaults"
        ),
        pytest.param({"details": {"b": 1, "a": [1, 2]}}, {"details": {"a": [1, 2], "b": 1}}, id="key-order"),
    ],
)
def test_what_goes_in_and_what_reads_back_hash_alike(
    stored: dict[str, Any], read_back: dict[str, Any]
) -> None:
    assert canonical_event(_event(**stored)) == canonical_event(_event(**read_back))


def test_any_field_change_changes_the_hash() -> None:
    base = canonical_event(_event(seq=1, prev_hash=GENESIS_HASH))
    reference = event_hash(GENESIS_HASH, base)
    changes = [("reason", "edited"), ("score", 0.86), ("seq", 2), ("tenant_id", "t2"), ("region", "")]
    for column, value in changes:
        assert event_hash(GENESIS_HASH, {**base, column: value}) != reference, column
    assert event_hash("1" * 64, base) != reference


def test_chain_events_numbers_and_links_in_order() -> None:
    events = [_event(event_uid=str(i) * 32) for i in range(3)]

    head = chain_events(events, head_seq=0, head_hash=GENESIS_HASH)

    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["prev_hash"] == GENESIS_HASH
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert events[2]["prev_hash"] == events[1]["hash"]
    assert head == (3, events[2]["hash"])
    for event in events:
        assert event["hash"] == event_hash(event["prev_hash"], canonical_event(event))


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (datetime(2026, 11, 24, 13, 5, 9, 123456, tzinfo=UTC), "2026-11-24T13:05:09.123456Z"),
        (datetime(2026, 11, 24, 13, 5, 9, tzinfo=UTC), "2026-11-24T13:05:09.000000Z"),
        (datetime(2026, 11, 24, 13, 5, 9, 7), "2026-11-24T13:05:09.000007Z"),  # naive: UTC
        (
            datetime(2026, 11, 24, 15, 5, 9, 1, tzinfo=timezone(timedelta(hours=2))),
            "2026-11-24T13:05:09.000001Z",
        ),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1).strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
    ],
)
def test_times_render_exactly_as_hashed_before(value: datetime, rendered: str) -> None:
    # Existing trails were hashed with strftime's rendering: it must never change.
    assert render_time(value) == rendered
