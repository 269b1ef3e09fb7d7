"""Candor in front of a fake OpenAI-compatible server on 127.0.0.1: what the backend
receives, and what the customer gets when the backend is slow, broken or cut off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit, make_settings, running_app
from tests.integration.test_chat_endpoint import sse_chunks
from tests.support.fake_openai import Behaviour, FakeOpenAI, serve_fake_openai

APOLOGY_WORDS = ("sorry", "person")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        yield fake


def backend_settings(database_url: str, fake: FakeOpenAI, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "backend_kind": "openai",
        "backend_url": fake.url,
        "backend_api_key": "sk-backend-secret",
        "backend_timeout_s": 1.0,
        "backend_retries": 1,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


async def test_backend_receives_the_conversation_and_client_gets_the_reply(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    fake.default = Behaviour(reply="Your parcel left our warehouse today.")
    request = {
        "model": "gpt-test",
        "temperature": 0.3,
        "max_tokens": 50,
        "user": "cust-7",
        "messages": [
            {"role": "system", "content": "You are the shop assistant."},
            {"role": "user", "content": "Where is my parcel?"},
        ],
    }
    async with running_app(backend_settings(database_url, fake)) as (_, client):
        response = await client.post("/v1/chat/completions", json=request, headers=tenant.headers())
    assert response.status_code == 200
    assert len(fake.received) == 1
    sent = fake.received[0]
    assert sent["model"] == "gpt-test"
    assert sent["stream"] is False
    assert sent["temperature"] == 0.3 and sent["max_tokens"] == 50
    assert sent["messages"] == request["messages"]
    # Candor's own metadata and the customer id never travel to the model.
    assert "user" not in sent and "metadata" not in sent
    assert fake.headers[0]["authorization"] == "Bearer sk-backend-secret"
    body = response.json()
    content = body["choices"][0]["message"]["content"]
    assert content.endswith("Your parcel left our warehouse today.")
    assert content.startswith(body["candor"]["disclosure"])
    assert body["usage"]["total_tokens"] == 8


async def test_forced_model_overrides_the_request(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    async with running_app(backend_settings(database_url, fake, backend_model="forced-model")) as (_, client):
        await client.post(
            "/v1/chat/completions",
            json={"model": "whatever", "messages": [{"role": "user", "content": "hi"}]},
            headers=tenant.headers(),
        )
    assert fake.received[0]["model"] == "forced-model"


async def test_streamed_reply_passes_through(database_url: str, tenant: TenantKeys, fake: FakeOpenAI) -> None:
    fake.default = Behaviour(reply="One. Two three. Four five six.")
    async with running_app(backend_settings(database_url, fake)) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "count"}]},
            headers=tenant.headers(),
        )
    chunks, done = sse_chunks(response.text)
    assert done
    assert fake.received[0]["stream"] is True
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert text.endswith("One. Two three. Four five six.")
    assert len(chunks) >= 3  # arrives in pieces, not as one block


async def test_backend_timeout_gives_an_apology_not_an_error(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    fake.default = Behaviour(delay_s=3.0)
    async with running_app(backend_settings(database_url, fake, backend_timeout_s=0.3)) as (app, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hello"}]},
            headers=tenant.headers(),
        )
        await flush_audit(app)
        events = await client.get(
            "/v1/audit/events", params={"event_type": "backend.call"}, headers=tenant.headers(Role.AUDITOR)
        )
    assert response.status_code == 200
    content = response.json()["choices"][0]["message"]["content"].lower()
    assert all(word in content for word in APOLOGY_WORDS)
    assert response.json()["candor"]["answered_by"] == "candor"
    (event,) = events.json()["data"]
    assert event["action"] == "error" and event["reason_code"] == "bot_failure"
    assert "timeout" in event["reason"]
    assert len(fake.received) == 1  # a read timeout is not retried


async def test_backend_500_is_retried_then_apologised_for(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    fake.default = Behaviour(status=500)
    async with running_app(backend_settings(database_url, fake, backend_retries=2)) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hello"}]},
            headers=tenant.headers(),
        )
    assert response.status_code == 200
    assert len(fake.received) == 3
    content = response.json()["choices"][0]["message"]["content"].lower()
    assert all(word in content for word in APOLOGY_WORDS)
    assert "500" not in content and "Traceback" not in response.text


async def test_one_500_then_success_is_invisible_to_the_customer(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    fake.script = [Behaviour(status=503), Behaviour(reply="All good.")]
    async with running_app(backend_settings(database_url, fake)) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hello"}]},
            headers=tenant.headers(),
        )
    assert response.json()["choices"][0]["message"]["content"].endswith("All good.")
    assert len(fake.received) == 2


async def test_stream_dropped_midway_ends_with_an_apology(
    database_url: str, tenant: TenantKeys, fake: FakeOpenAI
) -> None:
    fake.default = Behaviour(
        reply="First sentence here. Second sentence never arrives in full.", drop_after=5
    )
    async with running_app(backend_settings(database_url, fake)) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "tell me"}]},
            headers=tenant.headers(),
        )
    assert response.status_code == 200
    chunks, done = sse_chunks(response.text)
    assert done
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert "First sentence here." in text
    assert all(word in text.lower() for word in APOLOGY_WORDS)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert len(fake.received) == 1  # a stream is never retried midway


async def test_backend_down_before_streaming_gives_an_apology_stream(
    database_url: str, tenant: TenantKeys
) -> None:
    from tests.support.threaded_server import free_port

    settings = make_settings(
        database_url,
        backend_kind="openai",
        backend_url=f"http://127.0.0.1:{free_port()}/v1",
        backend_retries=1,
    )
    async with running_app(settings) as (_, client):
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
            headers=tenant.headers(),
        )
    chunks, done = sse_chunks(response.text)
    assert response.status_code == 200 and done
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert all(word in text.lower() for word in APOLOGY_WORDS)


async def test_models_come_from_the_backend(database_url: str, tenant: TenantKeys, fake: FakeOpenAI) -> None:
    async with running_app(backend_settings(database_url, fake)) as (_, client):
        response = await client.get("/v1/models", headers=tenant.headers())
    assert [model["id"] for model in response.json()["data"]] == ["fake-model"]
