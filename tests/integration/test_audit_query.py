"""Reading the audit trail: filters, time windows, cursor pagination and the error bodies."""

from __future__ import annotations

import asyncio
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
    events: list[dict[str, Any]]  # every event the turns produced, in time order

    async def get(self, role: Role | None = Role.AUDITOR, **params: Any) -> httpx.Response:
        headers = self.tenant.headers(role) if role else {}
        return await self.client.get("/v1/audit/events", headers=headers, params=params)

    async def data(self, **params: Any) -> list[dict[str, Any]]:
        """The events of the page, without the trail's record of its own reading."""
        response = await self.get(**params)
        assert response.status_code == 200, response.text
        return not_reads(response.json()["data"])


def not_reads(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Every read of the trail is itself audited; those events come and go with the test's
    # own requests, so comparisons with the seeded turns leave them out.
    return [event for event in events if not event["event_type"].startswith("audit.")]


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
        events = not_reads(response.json()["data"])
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
    order = [(_moment(event), event["id"]) for event in seeded.events]
    assert order == sorted(order)
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
async def test_since_is_inclusive_and_until_exclusive(seeded: Seeded, spell: Any) -> None:
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
async def test_pagination_walks_every_event_once_in_time_order(seeded: Seeded, limit: int) -> None:
    walked: list[dict[str, Any]] = []
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
        walked.extend(body["data"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert len(ids(walked)) == len(set(ids(walked)))
    assert ids(not_reads(walked)) == ids(seeded.events)
    assert pages == -(-len(walked) // limit)


async def test_a_walk_sees_the_trail_as_of_its_first_page(seeded: Seeded) -> None:
    """Each page read is audited; the walk must not chase the events it causes itself."""
    first = await seeded.get(limit=1)
    await flush_audit(seeded.app)
    cursor = first.json()["next_cursor"]
    walked = first.json()["data"]
    while cursor:
        page = (await seeded.get(limit=3, cursor=cursor)).json()
        await flush_audit(seeded.app)
        walked.extend(page["data"])
        cursor = page["next_cursor"]

    reads = (await seeded.get(event_type="audit.read", limit=1000)).json()["data"]
    assert len(reads) > len(walked) // 3  # the walk's own reads were written meanwhile...
    assert max(ids(walked)) < max(ids(reads))  # ...and it stopped before them


async def test_pagination_keeps_its_filter(seeded: Seeded) -> None:
    first = seeded.conversations[0]
    page = await seeded.get(conversation_id=first, limit=2)
    walked = ids(page.json()["data"])

    rest = await seeded.data(conversation_id=first, cursor=page.json()["next_cursor"], limit=1000)

    assert walked + ids(rest) == [e["id"] for e in seeded.events if e["conversation_id"] == first]


async def test_the_last_full_page_has_no_next_cursor(seeded: Seeded) -> None:
    first = seeded.conversations[0]
    count = len([e for e in seeded.events if e["conversation_id"] == first])

    full = await seeded.get(conversation_id=first, limit=count)
    short = await seeded.get(conversation_id=first, limit=count - 1)

    assert full.json()["next_cursor"] is None
    assert short.json()["next_cursor"] is not None


async def test_reading_the_trail_is_audited_without_its_results(seeded: Seeded) -> None:
    first = seeded.conversations[0]
    await seeded.get(conversation_id=first, guardrail="pii", limit=5)
    await flush_audit(seeded.app)

    reads = (await seeded.get(event_type="audit.read", limit=1000)).json()["data"]

    [read] = [
        r for r in reads if r["details"].get("filters") == {"conversation_id": first, "guardrail": "pii"}
    ]
    assert read["action"] == "events"
    assert read["actor"].startswith("key:")
    assert read["conversation_id"] is None  # the read is the auditor's, not the conversation's
    assert set(read["details"]) == {"filters"}


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


def test_a_key_minted_from_the_cli_is_audited(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.cli import main
    from app.db import create_engine, create_sessionmaker

    tenant = asyncio.run(new_tenant(database_url))
    monkeypatch.setenv("CANDOR_DATABASE_URL", database_url)

    assert main(["keys", "create", "--tenant", tenant.name, "--role", "auditor"]) == 0
    key = capsys.readouterr().out.strip()

    async def key_events() -> list[AuditEvent]:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                query = select(AuditEvent).where(
                    AuditEvent.tenant_id == tenant.id, AuditEvent.event_type == "key.created"
                )
                return list((await session.scalars(query)).all())
        finally:
            await engine.dispose()

    [event] = asyncio.run(key_events())
    assert event.actor == "cli" and event.details["role"] == "auditor"
    assert event.details["key_id"] in key  # the key's public id, never its secret part
    assert event.seq == 1 and event.hash


async def test_pagination_splits_events_of_one_moment_by_id(database_url: str, tenant: TenantKeys) -> None:
    from app.audit.events import AuditScope
    from app.audit.writer import store_chained
    from app.db import utcnow

    moment = utcnow()
    scope = AuditScope(tenant_id=tenant.id, request_id=None, conversation_id="one-moment")
    events = [scope.event("turn.received", actor="customer") for _ in range(5)]
    for event in events:
        event["occurred_at"] = moment
    async with running_app(make_settings(database_url)) as (app, client):
        async with app.state.candor.sessionmaker() as session, session.begin():
            await store_chained(session, events)
        walked: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"conversation_id": "one-moment", "limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = (
                await client.get("/v1/audit/events", headers=tenant.headers(Role.AUDITOR), params=params)
            ).json()
            walked.extend(ids(body["data"]))
            cursor = body["next_cursor"]
            if cursor is None:
                break

    assert len(walked) == 5
    assert walked == sorted(walked)


MONITOR_POLICY = """\
input:
  - guardrail: human_request
    mode: monitor
output:
  - guardrail: disclosure
"""


async def test_monitor_mode_would_have_decisions_are_audited(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    app, client = app_client
    put = await client.put("/v1/policy", headers=tenant.headers(Role.ADMIN), content=MONITOR_POLICY)
    assert put.status_code == 200, put.text
    conversation = f"monitor-{uuid.uuid4().hex[:8]}"

    response = await client.post(
        "/v1/chat/completions",
        headers=tenant.headers(Role.CHAT, **{"X-Conversation-Id": conversation}),
        json={"messages": [{"role": "user", "content": "I want to talk to a human please"}]},
    )
    await flush_audit(app)
    events = (
        await client.get(
            "/v1/audit/events",
            headers=tenant.headers(Role.AUDITOR),
            params={"conversation_id": conversation, "limit": 1000},
        )
    ).json()["data"]

    assert response.json()["candor"]["handoff"] is None  # monitor mode changes nothing...
    [decision] = [e for e in events if e["guardrail"] == "human_request"]
    assert (decision["action"], decision["mode"]) == ("escalate", "monitor")  # ...but says so
    assert decision["reason_code"] == "customer_request"
    assert decision["policy_version"] == put.json()["version"]
    assert "handoff.queued" not in {e["event_type"] for e in events}
    assert {"turn.received", "backend.call", "turn.answered"} <= {e["event_type"] for e in events}
