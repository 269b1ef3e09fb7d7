"""The chat endpoint through the real app (ASGI), the real database and the demo bot."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.tenants.keys import Role
from tests.conftest import TenantKeys, flush_audit

USER_TURN = {
    "model": "candor-demo",
    "messages": [{"role": "user", "content": "What are your opening hours?"}],
}


def sse_chunks(body: str) -> tuple[list[dict[str, Any]], bool]:
    chunks, done = [], False
    for line in body.splitlines():
        if not line.startswith("data: "):
            continue
        payload = line[len("data: ") :]
        if payload == "[DONE]":
            done = True
            continue
        chunks.append(json.loads(payload))
    return chunks, done


async def test_first_reply_carries_the_disclosure_and_later_ones_do_not(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    first = await client.post("/v1/chat/completions", json=USER_TURN, headers=tenant.headers())
    assert first.status_code == 200
    body = first.json()
    conversation_id = first.headers["x-conversation-id"]
    assert body["object"] == "chat.completion"
    assert body["candor"]["conversation_id"] == conversation_id
    assert body["candor"]["mode"] == "bot"
    assert body["candor"]["handoff"] is None
    disclosure = body["candor"]["disclosure"]
    assert disclosure and "AI" in disclosure
    assert body["choices"][0]["message"]["content"].startswith(disclosure)
    assert "opening" in body["choices"][0]["message"]["content"].lower() or "monday" in (
        body["choices"][0]["message"]["content"].lower()
    )
    assert first.headers["x-ai-disclosure"]

    second = await client.post(
        "/v1/chat/completions",
        json=USER_TURN,
        headers=tenant.headers(**{"X-Conversation-Id": conversation_id}),
    )
    assert second.status_code == 200
    assert second.headers["x-conversation-id"] == conversation_id
    assert second.json()["candor"]["disclosure"] is None
    assert not second.json()["choices"][0]["message"]["content"].startswith(disclosure)


async def test_streaming_reply_is_sse_with_disclosure_first_and_done_last(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    response = await client.post(
        "/v1/chat/completions", json={**USER_TURN, "stream": True}, headers=tenant.headers()
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks, done = sse_chunks(response.text)
    assert done
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    disclosure = chunks[0]["candor"]["disclosure"]
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert disclosure and text.startswith(disclosure)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["candor"]["conversation_id"] == response.headers["x-conversation-id"]


async def test_conversation_id_from_metadata_and_customer_from_user(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    app, client = app_client
    request = {
        **USER_TURN,
        "user": "customer-42",
        "metadata": {"conversation_id": "widget-conv-1", "channel": "web"},
    }
    response = await client.post("/v1/chat/completions", json=request, headers=tenant.headers())
    assert response.headers["x-conversation-id"] == "widget-conv-1"
    # The header wins over metadata.
    response = await client.post(
        "/v1/chat/completions", json=request, headers=tenant.headers(**{"X-Conversation-Id": "widget-conv-2"})
    )
    assert response.headers["x-conversation-id"] == "widget-conv-2"
    await flush_audit(app)
    events = await client.get(
        "/v1/audit/events", params={"conversation_id": "widget-conv-1"}, headers=tenant.headers(Role.AUDITOR)
    )
    rows = events.json()["data"]
    assert rows
    pseudonyms = {row["customer_pseudonym"] for row in rows}
    assert len(pseudonyms) == 1
    (pseudonym,) = pseudonyms
    assert pseudonym and "customer-42" not in pseudonym
    assert {row["channel"] for row in rows} == {"web"}


async def test_every_decision_of_the_turn_is_in_the_audit_api(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    app, client = app_client
    response = await client.post("/v1/chat/completions", json=USER_TURN, headers=tenant.headers())
    conversation_id = response.headers["x-conversation-id"]
    request_id = response.headers["x-request-id"]
    await flush_audit(app)
    events = await client.get(
        "/v1/audit/events", params={"conversation_id": conversation_id}, headers=tenant.headers(Role.AUDITOR)
    )
    assert events.status_code == 200
    rows = events.json()["data"]
    kinds = [row["event_type"] for row in rows]
    assert kinds.count("guardrail.decision") >= 1
    assert "backend.call" in kinds and "turn.answered" in kinds
    disclosure = next(row for row in rows if row["guardrail"] == "disclosure")
    assert disclosure["action"] == "annotate"
    assert disclosure["stage"] == "output"
    assert disclosure["mode"] == "enforce"
    assert disclosure["policy_version"] == 0
    assert disclosure["latency_ms"] is not None
    assert disclosure["details"]["disclosure_version"]
    assert all(row["request_id"] == request_id for row in rows)


async def test_models_lists_the_demo_bot(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    response = await client.get("/v1/models", headers=tenant.headers())
    assert response.status_code == 200
    assert [model["id"] for model in response.json()["data"]] == ["candor-demo"]


async def test_options_are_passed_but_guardrail_switches_are_ignored(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys
) -> None:
    _, client = app_client
    # A request cannot switch Candor's guardrails off: unknown fields are simply ignored.
    request = {**USER_TURN, "temperature": 0.2, "candor": {"disclosure": False}, "guardrails": []}
    response = await client.post("/v1/chat/completions", json=request, headers=tenant.headers())
    assert response.status_code == 200
    assert response.json()["candor"]["disclosure"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param([{"type": "text", "text": "What are your opening hours?"}], id="text-parts"),
        pytest.param("Wh\u200bat are your opening hours?", id="zero-width-inside"),
        pytest.param("\u202eWhat are your opening hours?", id="bidi-override"),
    ],
)
async def test_unusual_but_valid_content_is_answered(
    app_client: tuple[Any, httpx.AsyncClient], tenant: TenantKeys, content: Any
) -> None:
    _, client = app_client
    request = {"model": "m", "messages": [{"role": "user", "content": content}]}
    response = await client.post("/v1/chat/completions", json=request, headers=tenant.headers())
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"]
