"""Escalation through the chat endpoint, as transcripts: the turn that should escalate
does, the backend (a fake on 127.0.0.1) hears nothing from then on, and the customer is
told what is happening."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.db import create_engine
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, running_app
from tests.support.fake_openai import Behaviour, FakeOpenAI, serve_fake_openai


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        fake.default = Behaviour(reply="Happy to help with that.")
        yield fake


class Chat:
    """One customer's conversation, resending the history like a Chat Completions client."""

    def __init__(self, client: httpx.AsyncClient, tenant: TenantKeys) -> None:
        self.client = client
        self.tenant = tenant
        self.history: list[dict[str, str]] = []
        self.conversation_id: str | None = None

    async def say(self, text: str) -> dict[str, Any]:
        self.history.append({"role": "user", "content": text})
        extra = {"X-Conversation-Id": self.conversation_id} if self.conversation_id else {}
        response = await self.client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": self.history},
            headers=self.tenant.headers(**extra),
        )
        assert response.status_code == 200, response.text
        self.conversation_id = response.headers["x-conversation-id"]
        body: dict[str, Any] = response.json()
        self.history.append({"role": "assistant", "content": body["choices"][0]["message"]["content"]})
        return body


def settings_for(database_url: str, fake: FakeOpenAI) -> Any:
    return make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)


async def test_asking_for_a_person_hands_over_and_the_bot_is_never_called_again(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (app, client):
        chat = Chat(client, tenant)
        first = await chat.say("Where is my parcel?")
        assert first["candor"]["mode"] == "bot" and len(fake.received) == 1

        handed = await chat.say("I want to talk to a real person please")
        assert handed["candor"]["mode"] == "queued"
        assert handed["candor"]["handoff"]["reason_code"] == "customer_request"
        assert handed["candor"]["answered_by"] == "candor"
        assert "person" in handed["choices"][0]["message"]["content"]

        for text in ("ok", "Where is my parcel?", "thanks"):
            later = await chat.say(text)
            assert later["candor"]["mode"] == "queued"
        assert len(fake.received) == 1  # nothing after the handoff

        queue = await client.get(
            "/v1/handoffs", params={"status": "queued"}, headers=tenant.headers(Role.AGENT)
        )
        items = queue.json()["data"] if "data" in queue.json() else queue.json()["items"]
        assert [item["id"] for item in items] == [handed["candor"]["handoff"]["id"]]
        await flush_audit(app)
        events = await client.get(
            "/v1/audit/events",
            params={
                "conversation_id": chat.conversation_id,
                "guardrail": "human_request",
                "action": "escalate",
            },
            headers=tenant.headers(Role.AUDITOR),
        )
        assert len(events.json()["data"]) == 1  # the old message never fires twice


async def test_crisis_gets_resources_first_and_an_urgent_handoff(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (_, client):
        chat = Chat(client, tenant)
        body = await chat.say("I don't want to live anymore, I'm going to kill myself")
        detail = await client.get(
            f"/v1/handoffs/{body['candor']['handoff']['id']}", headers=tenant.headers(Role.AGENT)
        )
    reply = body["choices"][0]["message"]["content"]
    assert body["candor"]["handoff"]["reason_code"] == "crisis"
    assert "emergency" in reply.lower()
    assert reply.index("emergency") < reply.index("connecting you with a person")
    assert fake.received == []
    handoff = detail.json().get("handoff", detail.json())
    assert handoff["severity"] == "urgent"


async def test_a_handoff_that_cannot_be_queued_still_keeps_the_bot_out_and_is_audited(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    engine = create_engine(database_url)
    async with running_app(settings_for(database_url, fake)) as (app, client):
        chat = Chat(client, tenant)
        async with engine.begin() as connection:  # the queue's table is gone for a moment
            await connection.execute(text("ALTER TABLE handoffs RENAME TO handoffs_away"))
        try:
            body = await chat.say("I don't want to live anymore, I'm going to kill myself")
        finally:
            async with engine.begin() as connection:
                await connection.execute(text("ALTER TABLE handoffs_away RENAME TO handoffs"))
        await engine.dispose()
        reply = body["choices"][0]["message"]["content"]
        assert body["candor"]["answered_by"] == "candor" and body["candor"]["handoff"] is None
        assert "emergency" in reply.lower()  # crisis resources first, whatever failed
        assert reply.endswith("Please ask for a person again in a moment.")
        assert fake.received == []  # the model never got the crisis message

        again = await chat.say("please, I need a person")
        assert again["candor"]["mode"] == "queued"  # the queue is back: the next ask works
        assert fake.received == []
        await flush_audit(app)
        events = await client.get(
            "/v1/audit/events",
            params={"conversation_id": chat.conversation_id, "event_type": "handoff.failed"},
            headers=tenant.headers(Role.AUDITOR),
        )
    failed = events.json()["data"]
    assert len(failed) == 1
    assert failed[0]["reason_code"] == "crisis" and failed[0]["details"]["severity"] == "urgent"
    assert "kill" not in str(failed[0])


async def test_am_i_talking_to_a_bot_is_answered_by_candor_not_the_model(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    fake.default = Behaviour(reply="I'm Sarah, a real person!")  # what a model might say
    async with running_app(settings_for(database_url, fake)) as (_, client):
        chat = Chat(client, tenant)
        body = await chat.say("am I talking to a bot?")
        reply = body["choices"][0]["message"]["content"]
        assert fake.received == []
        assert body["candor"]["answered_by"] == "candor" and body["candor"]["mode"] == "bot"
        assert "AI" in reply or "automated" in reply.lower()
        assert "Sarah" not in reply

        await chat.say("ok, where is my order 12345?")
        assert len(fake.received) == 1  # the bot answers ordinary questions again


async def test_the_bot_resumes_after_hand_back(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (_, client):
        chat = Chat(client, tenant)
        handed = await chat.say("agent please")
        handoff_id = handed["candor"]["handoff"]["id"]
        agent = tenant.headers(Role.AGENT)
        assert (await client.post(f"/v1/handoffs/{handoff_id}/claim", headers=agent)).status_code == 200
        posted = await client.post(
            f"/v1/handoffs/{handoff_id}/messages", json={"content": "Hi, I'm Alex. Fixed it!"}, headers=agent
        )
        assert posted.status_code == 201
        during = await chat.say("thanks Alex")
        assert during["candor"]["mode"] == "human" and fake.received == []
        back = await client.post(
            f"/v1/handoffs/{handoff_id}/handback",
            json={"note": "Refund issued for order 12345"},
            headers=agent,
        )
        assert back.status_code == 200
        resumed = await chat.say("one more question: do you ship to Canada?")
    assert resumed["candor"]["mode"] == "bot"
    assert resumed["choices"][0]["message"]["content"].endswith("Happy to help with that.")
    (sent,) = fake.received
    assert any("Refund issued for order 12345" in str(m.get("content")) for m in sent["messages"])


async def test_a_held_open_stream_delivers_the_agents_reply(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    import asyncio
    import time

    from tests.integration.test_chat_endpoint import sse_chunks

    settings = make_settings(
        database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0, hold_open_s=5.0
    )
    async with running_app(settings) as (_, client):
        chat = Chat(client, tenant)
        handed = await chat.say("I need a human agent")
        handoff_id = handed["candor"]["handoff"]["id"]
        agent = tenant.headers(Role.AGENT)
        await client.post(f"/v1/handoffs/{handoff_id}/claim", json={"display_name": "Alex"}, headers=agent)

        async def customer_streams() -> httpx.Response:
            return await client.post(
                "/v1/chat/completions",
                json={
                    "model": "m",
                    "stream": True,
                    "messages": [{"role": "user", "content": "are you there?"}],
                },
                headers=tenant.headers(**{"X-Conversation-Id": chat.conversation_id or ""}),
            )

        started = time.monotonic()
        waiting = asyncio.create_task(customer_streams())
        await asyncio.sleep(0.3)
        await client.post(
            f"/v1/handoffs/{handoff_id}/messages",
            json={"content": "Yes, Alex here. Let me check."},
            headers=agent,
        )
        response = await waiting
        elapsed = time.monotonic() - started
    chunks, done = sse_chunks(response.text)
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert done and elapsed < 4
    assert "Yes, Alex here. Let me check." in text
    assert chunks[-1]["candor"]["answered_by"] == "agent"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert fake.received == []


async def test_a_held_open_stream_ends_after_its_bounded_wait(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    import time

    from tests.integration.test_chat_endpoint import sse_chunks

    settings = make_settings(
        database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0, hold_open_s=0.5
    )
    async with running_app(settings) as (_, client):
        chat = Chat(client, tenant)
        await chat.say("talk to a representative")
        started = time.monotonic()
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "hello?"}]},
            headers=tenant.headers(**{"X-Conversation-Id": chat.conversation_id or ""}),
        )
        elapsed = time.monotonic() - started
    chunks, done = sse_chunks(response.text)
    assert done and 0.4 < elapsed < 3
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert fake.received == []
