"""Reading the audit trail: filters, time windows, cursor pagination and the error bodies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app

QUESTIONS = ["Where is my order?", "It's #12345", "Thanks a lot"]


@dataclass
class Seeded:
    app: Any
    client: httpx.AsyncClient
    tenant: TenantKeys
    conversations: list[str]
    events: list[dict[str, Any]]  # every event of the tenant, in id order

    async def get(self, role: Role | None = Role.AUDITOR, **params: Any) -> httpx.Response:
        headers = self.tenant.headers(role) if role else {}
        return await self.client.get("/v1/audit/events", headers=headers, params=params)

    async def data(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.get(**params)
        assert response.status_code == 200, response.text
        return list(response.json()["data"])


@pytest.fixture
async def seeded(database_url: str, tenant: TenantKeys) -> AsyncIterator[Seeded]:
    """Three chat turns in each of two conversations, all audited."""
    async with running_app(make_settings(database_url)) as (app, client):
        conversations = [f"audit-{uuid.uuid4().hex[:12]}" for _ in range(2)]
        for question in QUESTIONS:
            for conversation in conversations:
                response = await client.post(
                    "/v1/chat/completions",
                    headers=tenant.headers(Role.CHAT, **{"X-Conversation-Id": conversation}),
                    json={"model": "candor-demo", "messages": [{"role": "user", "content": question}]},
                )
                assert response.status_code == 200, response.text
        await flush_audit(app)
        response = await client.get(
            "/v1/audit/events", headers=tenant.headers(Role.AUDITOR), params={"limit": 1000}
        )
        events = response.json()["data"]
        yield Seeded(app=app, client=client, tenant=tenant, conversations=conversations, events=events)


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert {"message", "type", "code"} <= set(body["error"])
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


def ids(events: list[dict[str, Any]]) -> list[int]:
    return [event["id"] for event in events]


async def test_the_seed_is_what_the_turns_produced(seeded: Seeded) -> None:
    assert ids(seeded.events) == sorted(ids(seeded.events))
    assert {event["conversation_id"] for event in seeded.events} == set(seeded.conversations)
    answered = [event for event in seeded.events if event["event_type"] == "turn.answered"]
    assert len(answered) == len(QUESTIONS) * len(seeded.conversations)


async def test_filter_by_conversation(seeded: Seeded) -> None:
    first, second = seeded.conversations

    got = await seeded.data(conversation_id=first)

    assert got
    assert {event["conversation_id"] for event in got} == {first}
    assert ids(got) == [event["id"] for event in seeded.events if event["conversation_id"] == first]
    assert await seeded.data(conversation_id="no-such-conversation") == []
    assert len(got) + len(await seeded.data(conversation_id=second)) == len(seeded.events)


async def test_filter_by_guardrail(seeded: Seeded) -> None:
    got = await seeded.data(guardrail="disclosure")

    assert {event["guardrail"] for event in got} == {"disclosure"}
    assert {event["event_type"] for event in got} == {"guardrail.decision"}
    # One decision per AI reply: the first in each conversation discloses, later ones do not.
    assert len(got) == len(QUESTIONS) * len(seeded.conversations)
    assert sorted(event["action"] for event in got) == ["allow"] * 4 + ["annotate"] * 2


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        pytest.param({"action": "annotate"}, "action", "annotate", id="action"),
        pytest.param({"event_type": "turn.received"}, "event_type", "turn.received", id="event-type"),
        pytest.param({"event_type": "backend.call"}, "event_type", "backend.call", id="backend-calls"),
    ],
)
async def test_filter_by_column(seeded: Seeded, params: dict[str, str], field: str, value: str) -> None:
    got = await seeded.data(**params)

    assert got
    assert {event[field] for event in got} == {value}
    assert ids(got) == [event["id"] for event in seeded.events if event[field] == value]


async def test_filters_combine(seeded: Seeded) -> None:
    first = seeded.conversations[0]

    got = await seeded.data(conversation_id=first, guardrail="disclosure", action="annotate")

    assert len(got) == 1
    assert got[0]["details"]["disclosure_version"]


async def test_unknown_filter_values_match_nothing(seeded: Seeded) -> None:
    assert await seeded.data(guardrail="no-such-guardrail") == []
    assert await seeded.data(action="explode") == []


def _moment(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


@pytest.mark.parametrize(
    "spell",
    [
        pytest.param(lambda moment: moment.isoformat(), id="utc-offset"),
        pytest.param(lambda moment: moment.replace(tzinfo=None).isoformat(), id="naive-read-as-utc"),
        pytest.param(lambda moment: moment.isoformat().replace("+00:00", "Z"), id="zulu"),
        pytest.param(
            lambda moment: moment.astimezone(timezone(timedelta(hours=2))).isoformat(), id="plus-two-hours"
        ),
        pytest.param(
            lambda moment: moment.astimezone(timezone(timedelta(hours=-5))).isoformat(), id="minus-five-hours"
        ),
    ],
)
async def test_since_is_inclusive_and_until_exclusive(seeded: Seeded, spell) -> None:
    events = seeded.events
    # A moment between two events with distinct times, so the split is unambiguous.
    pivot = next(
        i for i in range(len(events) // 2, len(events)) if _moment(events[i]) > _moment(events[i - 1])
    )
    moment = _moment(events[pivot])

    since = await seeded.data(since=spell(moment), limit=1000)
    until = await seeded.data(until=spell(moment), limit=1000)

    assert ids(since) == [e["id"] for e in events if _moment(e) >= moment]
    assert ids(until) == [e["id"] for e in events if _moment(e) < moment]
    assert ids(until) + ids(since) == ids(events)


async def test_a_window_outside_the_events_is_empty(seeded: Seeded) -> None:
    first = _moment(seeded.events[0])
    last = _moment(seeded.events[-1])

    assert await seeded.data(until=first.isoformat()) == []
    assert await seeded.data(since=(last + timedelta(seconds=1)).isoformat()) == []
    window = await seeded.data(
        since=first.isoformat(), until=(last + timedelta(seconds=1)).isoformat(), limit=1000
    )
    assert ids(window) == ids(seeded.events)


@pytest.mark.parametrize(
    "limit", [pytest.param(1, id="one"), pytest.param(4, id="four"), pytest.param(7, id="seven")]
)
async def test_pagination_walks_every_event_once_in_id_order(seeded: Seeded, limit: int) -> None:
    walked: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await seeded.get(**params)
        assert response.status_code == 200
        body = response.json()
        assert len(body["data"]) <= limit
        walked.extend(ids(body["data"]))
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert walked == ids(seeded.events)
    assert pages == -(-len(seeded.events) // limit)


async def test_pagination_keeps_its_filter(seeded: Seeded) -> None:
    first = seeded.conversations[0]
    page = await seeded.get(conversation_id=first, limit=2)
    walked = ids(page.json()["data"])

    rest = await seeded.data(conversation_id=first, cursor=page.json()["next_cursor"], limit=1000)

    assert walked + ids(rest) == [e["id"] for e in seeded.events if e["conversation_id"] == first]


async def test_the_last_full_page_has_no_next_cursor(seeded: Seeded) -> None:
    response = await seeded.get(limit=len(seeded.events))

    assert response.json()["next_cursor"] is None


async def test_events_carry_no_customer_text(seeded: Seeded) -> None:
    text = str(seeded.events)

    for question in QUESTIONS:
        assert question not in text


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"cursor": "not-a-cursor"}, id="garbage-cursor"),
        pytest.param({"cursor": "eHl6"}, id="base64-not-ours"),
        pytest.param({"cursor": "ZWFiYw"}, id="ours-but-not-a-number"),
        pytest.param({"limit": 0}, id="limit-zero"),
        pytest.param({"limit": 1001}, id="limit-too-big"),
        pytest.param({"limit": "many"}, id="limit-not-a-number"),
        pytest.param({"since": "yesterday"}, id="since-not-a-time"),
        pytest.param({"until": "2026-13-45"}, id="until-impossible-date"),
    ],
)
async def test_bad_parameters_are_400_with_our_error_body(seeded: Seeded, params: dict[str, Any]) -> None:
    body = assert_error(await seeded.get(**params), 400)

    assert body["error"]["type"] == "invalid_request_error"


async def test_a_chat_key_is_403(seeded: Seeded) -> None:
    body = assert_error(await seeded.get(role=Role.CHAT), 403)

    assert body["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer cnd_0000000000000000_nope"}, id="unknown-key"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="wrong-scheme"),
    ],
)
async def test_without_a_valid_key_is_401(seeded: Seeded, headers: dict[str, str]) -> None:
    response = await seeded.client.get("/v1/audit/events", headers=headers)

    body = assert_error(response, 401)
    assert body["error"]["code"] == "invalid_api_key"


async def test_an_auditor_sees_only_their_own_tenant(seeded: Seeded, database_url: str) -> None:
    other = await new_tenant(database_url)
    headers = other.headers(Role.AUDITOR)

    response = await seeded.client.get(
        "/v1/audit/events", headers=headers, params={"conversation_id": seeded.conversations[0]}
    )
    everything = await seeded.client.get("/v1/audit/events", headers=headers)

    assert response.json()["data"] == []
    assert everything.json()["data"] == []


@pytest.mark.parametrize(
    ("key", "length"),
    [
        pytest.param("channel", 51, id="channel"),
        pytest.param("locale", 36, id="locale"),
        pytest.param("region", 51, id="region"),
    ],
)
async def test_segment_metadata_longer_than_its_column_is_refused(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys, key: str, length: int
) -> None:
    _, client = app_client

    response = await client.post(
        "/v1/chat/completions",
        headers=tenant.headers(Role.CHAT),
        json={"messages": [{"role": "user", "content": "hello"}], "metadata": {key: "x" * length}},
    )

    body = assert_error(response, 400)
    assert key in body["error"]["message"]
