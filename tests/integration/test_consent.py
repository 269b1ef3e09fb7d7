"""Consent to AI, as transcripts: a customer who opts out (through the API, the widget's
toggle or the chat itself) never reaches the model again, on any conversation of the
tenant, until they opt in; each change is stored and audited under a pseudonym."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.crypto import customer_pseudonym
from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, new_tenant, running_app
from tests.support.fake_openai import Behaviour, FakeOpenAI, serve_fake_openai


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        fake.default = Behaviour(reply="Happy to help with that.")
        yield fake


def settings_for(database_url: str, fake: FakeOpenAI) -> Any:
    return make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)


class Customer:
    """One customer in one conversation, resending the history like a Chat Completions client."""

    def __init__(self, client: httpx.AsyncClient, tenant: TenantKeys, user: str, **metadata: str) -> None:
        self.client = client
        self.tenant = tenant
        self.user = user
        self.metadata = metadata
        self.history: list[dict[str, str]] = []
        self.conversation_id: str | None = None

    async def say(self, text: str, *, stream: bool = False) -> dict[str, Any]:
        self.history.append({"role": "user", "content": text})
        extra = {"X-Conversation-Id": self.conversation_id} if self.conversation_id else {}
        body: dict[str, Any] = {"model": "m", "messages": self.history, "user": self.user}
        if self.metadata:
            body["metadata"] = self.metadata
        if stream:
            body["stream"] = True
        response = await self.client.post(
            "/v1/chat/completions", json=body, headers=self.tenant.headers(Role.CHAT, **extra)
        )
        assert response.status_code == 200, response.text
        self.conversation_id = response.headers["x-conversation-id"]
        reply = _streamed(response.text) if stream else response.json()
        content = reply["choices"][0]["message"]["content"]
        self.history.append({"role": "assistant", "content": content})
        return reply


def _streamed(text: str) -> dict[str, Any]:
    """A streamed completion folded into the non-streamed shape (content and ``candor``)."""
    content, candor = "", None
    for line in text.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        candor = chunk.get("candor") or candor
        for choice in chunk.get("choices", []):
            content += choice.get("delta", {}).get("content") or ""
    return {"choices": [{"message": {"content": content}}], "candor": candor}


async def put_consent(
    client: httpx.AsyncClient, tenant: TenantKeys, user: str, ai: str, role: Role = Role.CHAT, **extra: str
) -> httpx.Response:
    return await client.put(
        f"/v1/customers/{user}/consent", json={"ai": ai, **extra}, headers=tenant.headers(role)
    )


async def consent_events(client: httpx.AsyncClient, tenant: TenantKeys) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/audit/events", params={"event_type": "consent.changed"}, headers=tenant.headers(Role.AUDITOR)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return list(body.get("data", body.get("items", [])))


async def test_opting_out_through_the_api_keeps_every_later_turn_away_from_the_model(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (app, client):
        alice = Customer(client, tenant, "cust-api-1")
        first = await alice.say("Where is my parcel?")
        assert first["candor"]["mode"] == "bot" and len(fake.received) == 1

        response = await put_consent(client, tenant, "cust-api-1", "opt_out")
        assert response.status_code == 200, response.text
        assert response.json() | {"handoffs_withdrawn": 0} == {
            "customer_id": "cust-api-1",
            "ai": "opt_out",
            "previous": None,
            "source": "api",
            "changed": True,
            "handoffs_withdrawn": 0,
        }

        for turn in range(10):
            reply = await alice.say(f"Question number {turn}: where is my parcel?", stream=turn % 2 == 1)
            assert reply["candor"]["mode"] == "queued"
            assert reply["candor"]["answered_by"] == "candor"
            if turn == 0:
                assert reply["candor"]["handoff"]["reason_code"] == "customer_request"
                assert "chose not to talk to our AI assistant" in reply["choices"][0]["message"]["content"]
        assert len(fake.received) == 1  # nothing after the opt-out

        queue = await client.get(
            "/v1/handoffs", params={"status": "queued"}, headers=tenant.headers(Role.AGENT)
        )
        items = queue.json()["data"]
        assert [(item["conversation_id"], item["reason_code"]) for item in items] == [
            (alice.conversation_id, "customer_request")
        ]

        # Opting in again is as easy, and withdraws the queued request: the bot answers.
        back = await put_consent(client, tenant, "cust-api-1", "opt_in")
        assert back.json()["previous"] == "opt_out" and back.json()["handoffs_withdrawn"] == 1
        again = await alice.say("Where is my parcel now?")
        assert again["candor"]["answered_by"] == "ai"
        assert again["choices"][0]["message"]["content"] == "Happy to help with that."
        assert len(fake.received) == 2

        await flush_audit(app)
        events = await consent_events(client, tenant)
        pseudonym = customer_pseudonym(
            app.state.candor.keys.pseudonym, tenant_id=tenant.id, customer_id="cust-api-1"
        )
        assert [(e["action"], e["customer_pseudonym"], e["details"]["source"]) for e in events] == [
            ("opt_out", pseudonym, "api"),
            ("opt_in", pseudonym, "api"),
        ]
        assert "cust-api-1" not in json.dumps(events)


async def test_opting_out_in_the_chat_then_ten_turns_then_opting_in_again(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (app, client):
        bob = Customer(client, tenant, "cust-chat-1")
        await bob.say("Hi, can you help me with a refund?")
        assert len(fake.received) == 1

        stop = await bob.say("Stop the AI please")
        assert stop["candor"]["mode"] == "queued"
        assert stop["candor"]["handoff"]["reason_code"] == "customer_request"
        for turn in range(10):
            reply = await bob.say(f"My order number is {1000 + turn}", stream=turn == 3)
            assert reply["candor"]["mode"] == "queued"
        assert len(fake.received) == 1

        # The choice holds on every conversation of this customer, not only this one.
        elsewhere = Customer(client, tenant, "cust-chat-1", channel="email")
        other = await elsewhere.say("Hello again, new question")
        assert other["candor"]["mode"] == "queued"
        assert elsewhere.conversation_id != bob.conversation_id
        assert len(fake.received) == 1

        happy = await bob.say("I'm happy to use the assistant again")
        assert happy["candor"]["answered_by"] == "candor"
        assert "AI assistant will answer your next message" in happy["choices"][0]["message"]["content"]
        assert len(fake.received) == 1
        answered = await bob.say("So, about that refund?")
        assert answered["candor"]["answered_by"] == "ai"
        assert len(fake.received) == 2

        await flush_audit(app)
        events = await consent_events(client, tenant)
        assert [(e["action"], e["details"]["source"], e["actor"]) for e in events] == [
            ("opt_out", "chat", "customer"),
            ("opt_in", "chat", "customer"),
        ]


async def test_the_widget_toggle_and_an_anonymous_chat_opt_out(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (_, client):
        toggled = await put_consent(client, tenant, "cust-widget", "opt_out", source="widget")
        assert toggled.json()["source"] == "widget"
        carol = Customer(client, tenant, "cust-widget")
        assert (await carol.say("hello"))["candor"]["mode"] == "queued"
        same = await put_consent(client, tenant, "cust-widget", "opt_out", source="widget")
        assert same.json()["changed"] is False

        # No customer id: the choice belongs to the conversation.
        anonymous = Customer(client, tenant, "")
        anonymous.user = ""
        await anonymous.say("hi there")
        assert (await anonymous.say("no bots please"))["candor"]["mode"] == "queued"
        assert (await anonymous.say("ok"))["candor"]["mode"] == "queued"
        assert len(fake.received) == 1  # only the anonymous customer's first turn


async def test_opting_in_while_a_person_holds_the_conversation_leaves_it_with_them(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (_, client):
        frank = Customer(client, tenant, "cust-held")
        handed = await frank.say("I want to talk to a real person")
        handoff_id = handed["candor"]["handoff"]["id"]
        claimed = await client.post(
            f"/v1/handoffs/{handoff_id}/claim", json={}, headers=tenant.headers(Role.AGENT)
        )
        assert claimed.status_code == 200
        reply = await frank.say("I'm happy to use the assistant again")
        assert reply["candor"]["mode"] == "human"  # the person keeps it; they hand it back
        assert len(fake.received) == 0
        # The choice itself was stored: saying it through the API again changes nothing.
        again = await put_consent(client, tenant, "cust-held", "opt_in")
        assert again.json()["changed"] is False


async def test_consent_is_per_tenant(database_url: str, tenant: TenantKeys, fake: FakeOpenAI) -> None:
    other_tenant = await new_tenant(database_url)
    async with running_app(settings_for(database_url, fake)) as (_, client):
        await put_consent(client, tenant, "shared-id", "opt_out")
        reply = await Customer(client, other_tenant, "shared-id").say("hello")
        assert reply["candor"]["mode"] == "bot"
        assert len(fake.received) == 1


async def test_policy_can_require_an_opt_in_before_any_ai_turn(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (_, client):
        current = await client.get("/v1/policy", headers=tenant.headers(Role.ADMIN))
        document = current.json()["document"] + "\nconsent:\n  require_opt_in: true\n"
        changed = await client.put(
            "/v1/policy", json={"document": document}, headers=tenant.headers(Role.ADMIN)
        )
        assert changed.status_code in (200, 201), changed.text

        dan = Customer(client, tenant, "cust-optin", locale="de-DE")
        asked = await dan.say("Wo ist mein Paket?")
        assert asked["candor"]["answered_by"] == "candor"
        assert "KI-System" in asked["choices"][0]["message"]["content"]
        assert len(fake.received) == 0

        agreed = await dan.say("Ich bin mit dem Assistenten einverstanden")
        assert agreed["candor"]["answered_by"] == "candor"
        assert len(fake.received) == 0
        answered = await dan.say("Wo ist mein Paket?")
        assert answered["candor"]["answered_by"] == "ai", (
            agreed["choices"][0]["message"]["content"],
            answered["choices"][0]["message"]["content"],
        )
        assert len(fake.received) == 1

        # An opt-in through the API counts the same.
        erin = Customer(client, tenant, "cust-optin-api")
        await put_consent(client, tenant, "cust-optin-api", "opt_in")
        assert (await erin.say("Where is my parcel?"))["candor"]["answered_by"] == "ai"


@pytest.mark.parametrize(
    ("body", "role", "status"),
    [
        pytest.param({"ai": "maybe"}, Role.CHAT, 400, id="unknown-choice"),
        pytest.param({}, Role.CHAT, 400, id="missing-choice"),
        pytest.param({"ai": "opt_out", "source": "chat"}, Role.CHAT, 400, id="api-cannot-claim-chat"),
        pytest.param({"ai": "opt_out", "extra": 1}, Role.CHAT, 400, id="unknown-field"),
        pytest.param({"ai": "opt_out"}, Role.AGENT, 403, id="agent-key"),
        pytest.param({"ai": "opt_out"}, Role.ADMIN, 200, id="admin-key"),
    ],
)
async def test_consent_requests_are_checked(
    database_url: str, tenant: TenantKeys, body: dict[str, Any], role: Role, status: int
) -> None:
    async with running_app(make_settings(database_url)) as (_, client):
        response = await client.put("/v1/customers/cust-x/consent", json=body, headers=tenant.headers(role))
        assert response.status_code == status, response.text
        if status >= 400:
            assert "error" in response.json() and "request_id" in response.json()


async def test_the_opt_out_is_confirmed_in_the_language_of_the_browser(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    # No metadata.locale: the browser's Accept-Language decides, as for every Candor text.
    async with running_app(settings_for(database_url, fake)) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={
                "model": "m",
                "messages": [{"role": "user", "content": "Keine KI bitte"}],
                "user": "cust-de",
            },
            headers=tenant.headers(Role.CHAT, **{"Accept-Language": "de-AT, de;q=0.9, en;q=0.5"}),
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["candor"]["mode"] == "queued"
    assert body["choices"][0]["message"]["content"].startswith("Sie möchten nicht mit unserem KI-Assistenten")
    assert fake.received == []
