"""PII through the real HTTP endpoint, with a fake backend on 127.0.0.1 recording what it
received: no gold value of a multi-turn conversation reaches the model, and the customer
sees their own values restored (plain and streamed, tool-call arguments included)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from app.conversations.vault_models import VaultEntry
from app.tenants.keys import Role
from guardrails.pii_engine import PII_ENGINE
from guardrails.resources import Resources
from tests.conftest import TenantKeys, flush_audit, make_settings, running_app
from tests.integration.test_chat_endpoint import sse_chunks
from tests.support.fake_openai import Behaviour, FakeOpenAI, serve_fake_openai

NAME = "Maria Gonzalez"
EMAIL = "maria.gonzalez@example.org"
PHONE = "+1 415 555 0137"
CARD = "4111 1111 1111 1111"
GOLD = (NAME, "Gonzalez", EMAIL, PHONE, "415 555 0137", CARD, "4111111111111111")
TOKEN = re.compile(r"<[A-Z_]+_\d+>")


def echo_tokens(body: dict[str, Any]) -> str:
    """The 'model' repeats every token it was given, as an LLM addressing the customer would."""
    seen = TOKEN.findall(json.dumps(body["messages"]))
    return "Thanks. I have noted " + (", ".join(dict.fromkeys(seen)) or "nothing") + "."


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        fake.default = Behaviour(respond=echo_tokens)
        yield fake


def settings_for(database_url: str, fake: FakeOpenAI) -> Any:
    return make_settings(database_url, backend_kind="openai", backend_url=fake.url, backend_retries=0)


def content_of(response: httpx.Response) -> str:
    if response.headers["content-type"].startswith("text/event-stream"):
        chunks, done = sse_chunks(response.text)
        assert done
        return "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    return str(response.json()["choices"][0]["message"]["content"])


def assert_no_gold(fake: FakeOpenAI) -> None:
    sent = json.dumps(fake.received)
    for value in GOLD:
        assert value not in sent, f"{value!r} reached the backend"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_multi_turn_conversation_never_sends_pii_and_restores_it(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI, stream: bool
) -> None:
    turns = [
        f"Hi, my name is {NAME} and my e-mail is {EMAIL}.",
        f"You can also call me on {PHONE}.",
        f"Please charge the card {CARD} for order 12345.",
        "maria here again, did you get everything?",  # lower-case first name only
    ]
    history: list[dict[str, str]] = []
    async with running_app(settings_for(database_url, fake)) as (_, client):
        conversation_id = None
        for turn in turns:
            history.append({"role": "user", "content": turn})
            headers = tenant.headers(**({"X-Conversation-Id": conversation_id} if conversation_id else {}))
            response = await client.post(
                "/v1/chat/completions",
                json={"model": "m", "stream": stream, "messages": history},
                headers=headers,
            )
            assert response.status_code == 200
            conversation_id = response.headers["x-conversation-id"]
            reply = content_of(response)
            assert not TOKEN.search(reply), "the customer must see values, not tokens"
            # Clients resend the reply as they showed it: with the restored values in it.
            history.append({"role": "assistant", "content": reply})

    assert_no_gold(fake)
    first_reply = history[1]["content"]
    assert NAME in first_reply and EMAIL in first_reply
    assert PHONE in history[3]["content"]
    # Turn after turn, the same value travelled as the same token.
    last_request = json.dumps(fake.received[-1]["messages"])
    assert "<PERSON_1>" in last_request and "<EMAIL_ADDRESS_1>" in last_request
    assert "<PERSON_2>" not in last_request and "<EMAIL_ADDRESS_2>" not in last_request
    assert "maria" not in last_request.lower()


async def test_invented_tokens_are_not_restored(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    fake.default = Behaviour(respond=lambda body: "Noted <PERSON_1>; also <PERSON_7> and <EMAIL_ADDRESS_3>.")
    async with running_app(settings_for(database_url, fake)) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": f"I am {NAME}."}]},
            headers=tenant.headers(),
        )
    reply = content_of(response)
    assert NAME in reply
    assert "<PERSON_7>" in reply and "<EMAIL_ADDRESS_3>" in reply


async def test_tool_call_arguments_are_restored(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    def reply_with_tool_call(body: dict[str, Any]) -> str:
        return "Let me look that up."

    fake.default = Behaviour(
        respond=reply_with_tool_call,
        tool_calls=[
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup_customer", "arguments": '{"email": "<EMAIL_ADDRESS_1>"}'},
            }
        ],
    )
    async with running_app(settings_for(database_url, fake)) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": f"My e-mail is {EMAIL}"}]},
            headers=tenant.headers(),
        )
    (call,) = response.json()["choices"][0]["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"email": EMAIL}
    assert_no_gold(fake)


async def test_resent_tool_call_arguments_are_redacted_again(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    messages = [
        {"role": "user", "content": f"My e-mail is {EMAIL}"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": json.dumps({"email": EMAIL})},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": f"Customer {NAME}, e-mail {EMAIL}, no open orders.",
        },
    ]
    async with running_app(settings_for(database_url, fake)) as (_, client):
        response = await client.post(
            "/v1/chat/completions", json={"model": "m", "messages": messages}, headers=tenant.headers()
        )
    assert response.status_code == 200
    assert_no_gold(fake)


async def test_vault_holds_only_ciphertext_and_audit_only_types(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(settings_for(database_url, fake)) as (app, client):
        response = await client.post(
            "/v1/chat/completions",
            json={
                "model": "m",
                "user": "cust-9",
                "messages": [{"role": "user", "content": f"I'm {NAME}, {EMAIL}"}],
            },
            headers=tenant.headers(),
        )
        conversation_id = response.headers["x-conversation-id"]
        await flush_audit(app)
        async with app.state.candor.sessionmaker() as session:
            entries = (
                await session.scalars(select(VaultEntry).where(VaultEntry.conversation_id == conversation_id))
            ).all()
            dump = ""
            for table in ("vault_entries", "subject_keys", "messages", "audit_events", "conversations"):
                rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()
                dump += repr(rows)
        events = await client.get(
            "/v1/audit/events",
            params={"conversation_id": conversation_id, "guardrail": "pii"},
            headers=tenant.headers(Role.AUDITOR),
        )
    assert {entry.token for entry in entries} == {"<PERSON_1>", "<EMAIL_ADDRESS_1>"}
    for value in (NAME, EMAIL, "Gonzalez"):
        assert value not in dump
        assert value.encode() not in dump.encode()
    (event,) = events.json()["data"]
    assert event["action"] == "redact"
    assert {finding["entity_type"] for finding in event["findings"]} == {"PERSON", "EMAIL_ADDRESS"}
    assert all(
        set(finding) == {"entity_type", "start", "end", "score", "detector"} for finding in event["findings"]
    )


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_analyzer_failure_fails_closed(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI, shared_resources: Resources, stream: bool
) -> None:
    from guardrails.pii_engine import PiiEngine

    class Broken(PiiEngine):
        def __init__(self) -> None:  # no analyzer: every analysis raises
            pass

        async def analyze(self, text: str, **_: Any) -> Any:
            raise RuntimeError(f"analyzer crashed on {text}")

    broken = Resources(
        cpu=shared_resources.cpu, hmac_key=shared_resources.hmac_key, engines={PII_ENGINE: Broken()}
    )
    async with running_app(settings_for(database_url, fake), resources=broken) as (app, client):
        response = await client.post(
            "/v1/chat/completions",
            json={
                "model": "m",
                "stream": stream,
                "messages": [{"role": "user", "content": f"My SSN is 078-05-1120, {EMAIL}"}],
            },
            headers=tenant.headers(),
        )
        await flush_audit(app)
        events = await client.get(
            "/v1/audit/events",
            params={"conversation_id": response.headers["x-conversation-id"], "guardrail": "pii"},
            headers=tenant.headers(Role.AUDITOR),
        )
        async with app.state.candor.sessionmaker() as session:
            stored = (await session.execute(text("SELECT content FROM messages"))).scalars().all()
    assert response.status_code == 200
    assert fake.received == []  # nothing was forwarded
    assert "078-05-1120" not in content_of(response)
    if stream:
        chunks, _ = sse_chunks(response.text)
        assert chunks[-1]["candor"]["answered_by"] == "candor"
    else:
        assert response.json()["candor"]["answered_by"] == "candor"
    (event,) = events.json()["data"]
    assert event["reason_code"] == "guardrail_error" and event["details"]["failed"] is True
    assert all("078-05-1120" not in row and EMAIL not in row for row in stored)
