"""WebhookBackend against a real HTTP server on 127.0.0.1 that plays an in-house bot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.backends.base import BackendDelta, BackendError, BackendRequest
from app.backends.webhook import WebhookBackend
from tests.unit.backends.server import Serve, Server, reply

DEFAULT_TEMPLATE = '{"sender": "$sender", "conversation_id": "$conversation_id", "message": "$text"}'


def request(text: str = "hello") -> BackendRequest:
    return BackendRequest(
        messages=[{"role": "user", "content": text}], model="m", conversation_id="conv-1", sender="cust-abc"
    )


async def backend(
    serve: Serve,
    answer: Any = None,
    *,
    template: str = DEFAULT_TEMPLATE,
    reply_path: str = "reply",
    status: int = 200,
    **overrides: Any,
) -> tuple[WebhookBackend, Server]:
    server = await serve(reply(status, json_body={"reply": "ok"} if answer is None else answer))
    options: dict[str, Any] = {
        "url": f"{server.url}/hooks/candor",
        "request_template": template,
        "reply_path": reply_path,
        "timeout_s": 5.0,
        "connect_timeout_s": 1.0,
        "retries": 0,
    }
    options.update(overrides)
    return WebhookBackend(**options), server


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("plain words", id="plain"),
        pytest.param('say "hi", then \\ and a\nnew line', id="json-special-characters"),
        pytest.param('", "admin": true, "x": "', id="injection-attempt"),
        pytest.param("I am $sender and $$5 short", id="placeholders-in-customer-text"),
        pytest.param("Grüße 👋", id="unicode"),
    ],
)
async def test_fills_the_template_without_letting_text_escape(serve: Serve, text: str) -> None:
    bot, server = await backend(serve, api_key="hook-key")
    await bot.complete(request(text))
    await bot.aclose()

    (sent,) = server.received
    assert (sent.method, sent.path) == ("POST", "/hooks/candor")
    assert sent.headers["authorization"] == "Bearer hook-key"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"sender": "cust-abc", "conversation_id": "conv-1", "message": text}


async def test_fills_nested_templates_and_keeps_other_values(serve: Serve) -> None:
    template = json.dumps(
        {"user": {"id": "user-$sender"}, "events": [{"type": "text", "body": "$text"}], "n": 1, "x": "$other"}
    )
    bot, server = await backend(serve, template=template)
    await bot.complete(request("hi"))
    await bot.aclose()
    assert server.received[0].json() == {
        "user": {"id": "user-cust-abc"},
        "events": [{"type": "text", "body": "hi"}],
        "n": 1,
        "x": "$other",
    }


@pytest.mark.parametrize(
    ("answer", "path", "expected"),
    [
        pytest.param({"reply": "Hello!"}, "reply", "Hello!", id="top-level"),
        pytest.param(
            {"data": {"messages": [{"text": "First"}, {"text": "Second"}]}},
            "data.messages.0.text",
            "First",
            id="nested-with-index",
        ),
        pytest.param({"reply": 42}, "reply", "42", id="number"),
    ],
)
async def test_reads_the_reply_at_the_dotted_path(
    serve: Serve, answer: Any, path: str, expected: str
) -> None:
    bot, _ = await backend(serve, answer, reply_path=path)
    result = await bot.complete(request())
    await bot.aclose()
    assert result.content == expected
    assert result.model == "webhook"


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        pytest.param({"answer": "Hello!"}, "reply", id="missing-key"),
        pytest.param({"data": {"messages": []}}, "data.messages.0.text", id="index-out-of-range"),
        pytest.param({"reply": {"text": "Hello!"}}, "reply", id="object-not-text"),
        pytest.param({"reply": None}, "reply", id="null"),
        pytest.param(["Hello!"], "reply", id="list-at-top"),
    ],
)
async def test_a_reply_without_text_at_the_path_is_a_protocol_error(
    serve: Serve, answer: Any, path: str
) -> None:
    bot, _ = await backend(serve, answer, reply_path=path)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert caught.value.kind == "protocol"


async def test_streams_one_chunk_then_finishes(serve: Serve) -> None:
    bot, _ = await backend(serve, {"reply": "Hello there"})
    deltas = [delta async for delta in bot.stream(request())]
    await bot.aclose()
    assert deltas == [
        BackendDelta(content="Hello there", model="webhook"),
        BackendDelta(finish_reason="stop", model="webhook"),
    ]


async def test_status_error_is_reported_without_the_body(serve: Serve) -> None:
    bot, _ = await backend(serve, {"error": "you said: hello"}, status=500)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request("hello"))
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("status", 500)
    assert "hello" not in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"request_template": '{"message": $text}'}, "template", id="template-not-json"),
        pytest.param({"reply_path": ""}, "reply path", id="empty-path"),
        pytest.param({"reply_path": "data..text"}, "reply path", id="empty-segment"),
        pytest.param({"url": "/relative"}, "backend URL", id="relative-url"),
    ],
)
def test_bad_settings_fail_at_construction(overrides: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {
        "url": "https://bot.test/hook",
        "request_template": DEFAULT_TEMPLATE,
        "reply_path": "reply",
        "timeout_s": 1.0,
        "connect_timeout_s": 1.0,
        "retries": 0,
    }
    options.update(overrides)
    with pytest.raises(ValueError, match=message):
        WebhookBackend(**options)
