"""A real `candor serve` process driven by the official openai SDK (base_url and api_key
only), as an existing chat widget or chat server would use it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import fresh_database
from tests.support.server import RunningServer, candor_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp("serve")
    with fresh_database(workdir) as url, candor_server(url, workdir) as running:
        yield running


def sdk(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=server.keys["chat"], max_retries=0)


def test_fresh_database_prints_one_key_per_role(server: RunningServer) -> None:
    assert set(server.keys) == {"chat", "agent", "auditor", "admin"}


def test_non_streaming_reply_carries_disclosure_and_conversation_id(server: RunningServer) -> None:
    raw = sdk(server).chat.completions.with_raw_response.create(
        model="candor-demo", messages=[{"role": "user", "content": "Where is my order #12345?"}]
    )
    completion = raw.parse()
    conversation_id = raw.headers["x-conversation-id"]
    assert conversation_id
    content = completion.choices[0].message.content or ""
    candor = (completion.model_extra or {})["candor"]
    assert candor["conversation_id"] == conversation_id
    assert candor["disclosure"] and content.startswith(candor["disclosure"])
    assert "12345" in content

    # The audit API then lists the turn's decisions.
    events = httpx.get(
        f"{server.base_url}/v1/audit/events",
        params={"conversation_id": conversation_id},
        headers={"Authorization": f"Bearer {server.keys['auditor']}"},
        timeout=10,
    )
    for _ in range(100):  # the writer batches (every 0.25 s by default); give it a moment
        if any(row["guardrail"] == "disclosure" for row in events.json()["data"]):
            break
        time.sleep(0.05)
        events = httpx.get(events.request.url, headers=events.request.headers, timeout=10)
    rows = events.json()["data"]
    assert any(row["guardrail"] == "disclosure" and row["action"] == "annotate" for row in rows)
    assert any(row["event_type"] == "backend.call" for row in rows)


def test_streaming_reply_arrives_in_chunks_with_disclosure(server: RunningServer) -> None:
    stream = sdk(server).chat.completions.create(
        model="candor-demo",
        messages=[{"role": "user", "content": "How do returns work? And how long does shipping take?"}],
        stream=True,
    )
    chunks = list(stream)
    assert len(chunks) >= 2
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    first_extra = chunks[0].model_extra or {}
    disclosure = first_extra["candor"]["disclosure"]
    assert disclosure and text.startswith(disclosure)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_second_turn_in_a_conversation_has_no_disclosure(server: RunningServer) -> None:
    client = sdk(server)
    first = client.chat.completions.with_raw_response.create(
        model="candor-demo", messages=[{"role": "user", "content": "hello"}]
    )
    conversation_id = first.headers["x-conversation-id"]
    second = client.chat.completions.create(
        model="candor-demo",
        messages=[{"role": "user", "content": "what are your opening hours?"}],
        extra_headers={"X-Conversation-Id": conversation_id},
    )
    assert (second.model_extra or {})["candor"]["disclosure"] is None


def test_sdk_sees_openai_errors(server: RunningServer) -> None:
    bad = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        sdk(server).chat.completions.create(model="m", messages=[])


def test_models_lists_the_demo_bot(server: RunningServer) -> None:
    assert [model.id for model in sdk(server).models.list()] == ["candor-demo"]


def test_server_log_is_structured_and_free_of_message_text(server: RunningServer, tmp_path: Path) -> None:
    sdk(server).chat.completions.create(
        model="candor-demo", messages=[{"role": "user", "content": "my email is zed.e2e@example.net"}]
    )
    log = server.log()
    assert "zed.e2e@example.net" not in log
    assert '"route": "/v1/chat/completions"' in log
