"""RasaBackend against a real httpx transport that plays Rasa's REST channel."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.backends.base import BackendDelta, BackendError, BackendRequest
from app.backends.rasa import RasaBackend

SECRET = "my phone is +44 20 7946 0958"


def request(*messages: dict[str, Any]) -> BackendRequest:
    return BackendRequest(
        messages=list(messages) or [{"role": "user", "content": "hello"}],
        model="ignored",
        conversation_id="conv-1",
        sender="cust-abc",
    )


def backend(reply: Any = (), *, status: int = 200, seen: list[httpx.Request] | None = None) -> RasaBackend:
    def handler(req: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(req)
        return httpx.Response(status, json=list(reply) if isinstance(reply, tuple) else reply)

    return RasaBackend(
        base_url="http://rasa.test:5005/",
        timeout_s=5.0,
        connect_timeout_s=1.0,
        retries=1,
        backoff_s=0.0,
        transport=httpx.MockTransport(handler),
    )


async def test_sends_sender_and_the_latest_user_message() -> None:
    seen: list[httpx.Request] = []
    bot = backend([{"recipient_id": "cust-abc", "text": "Hi!"}], seen=seen)
    await bot.complete(
        request(
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "an answer"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
            {"role": "system", "content": "not sent"},
        )
    )
    await bot.aclose()

    (sent,) = seen
    assert (sent.method, str(sent.url)) == ("POST", "http://rasa.test:5005/webhooks/rest/webhook")
    assert json.loads(sent.content) == {"sender": "cust-abc", "message": "second"}
    assert "authorization" not in sent.headers


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        pytest.param([{"recipient_id": "c", "text": "Hi!"}], "Hi!", id="one-text"),
        pytest.param(
            [{"recipient_id": "c", "text": "Hi!"}, {"recipient_id": "c", "text": "How can I help?"}],
            "Hi!\n\nHow can I help?",
            id="texts-joined-by-blank-lines",
        ),
        pytest.param(
            [
                {
                    "recipient_id": "c",
                    "text": "Pick one:",
                    "buttons": [
                        {"title": "Orders", "payload": "/orders"},
                        {"title": "Returns", "payload": "/r"},
                    ],
                }
            ],
            "Pick one:\nOptions: Orders, Returns",
            id="buttons",
        ),
        pytest.param(
            [{"recipient_id": "c", "image": "https://shop.test/map.png"}],
            "Image: https://shop.test/map.png",
            id="image",
        ),
        pytest.param([], "", id="bot-said-nothing"),
        pytest.param([{"recipient_id": "c", "custom": {"x": 1}}], "", id="custom-payload-only"),
    ],
)
async def test_renders_rasa_messages_as_one_text(messages: list[dict[str, Any]], expected: str) -> None:
    bot = backend(messages)
    reply = await bot.complete(request())
    await bot.aclose()
    assert reply.content == expected
    assert reply.model == "rasa"


async def test_streams_the_whole_reply_then_finishes() -> None:
    bot = backend([{"recipient_id": "c", "text": "Hi!"}, {"recipient_id": "c", "text": "Bye!"}])
    deltas = [delta async for delta in bot.stream(request())]
    await bot.aclose()
    assert deltas == [
        BackendDelta(content="Hi!\n\nBye!", model="rasa"),
        BackendDelta(finish_reason="stop", model="rasa"),
    ]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param({"text": "not a list"}, id="object"),
        pytest.param(["just a string"], id="list-of-strings"),
    ],
)
async def test_rejects_replies_that_are_not_message_lists(reply: Any) -> None:
    bot = backend(reply)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert caught.value.kind == "protocol"


async def test_status_errors_do_not_carry_the_body() -> None:
    bot = backend({"error": SECRET}, status=404)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request({"role": "user", "content": SECRET}))
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("status", 404)
    assert SECRET not in str(caught.value)


async def test_retries_a_5xx_then_answers() -> None:
    replies = [httpx.Response(502), httpx.Response(200, json=[{"recipient_id": "c", "text": "Back!"}])]
    bot = RasaBackend(
        base_url="http://rasa.test",
        api_key="gateway-key",
        timeout_s=5.0,
        connect_timeout_s=1.0,
        retries=1,
        backoff_s=0.0,
        transport=httpx.MockTransport(lambda req: replies.pop(0)),
    )
    reply = await bot.complete(request())
    await bot.aclose()
    assert reply.content == "Back!"
    assert replies == []


async def test_models_reports_the_configured_name() -> None:
    bot = backend()
    assert await bot.models() == ["rasa"]
    await bot.aclose()
