"""RasaBackend against a real HTTP server on 127.0.0.1 that plays Rasa's REST channel."""

from __future__ import annotations

from typing import Any

import pytest

from app.backends.base import BackendDelta, BackendError, BackendRequest
from app.backends.rasa import RasaBackend
from tests.unit.backends.server import Serve, Server, replies, reply

SECRET = "my phone is +44 20 7946 0958"


def request(*messages: dict[str, Any]) -> BackendRequest:
    return BackendRequest(
        messages=list(messages) or [{"role": "user", "content": "hello"}],
        model="ignored",
        conversation_id="conv-1",
        sender="cust-abc",
    )


async def backend(serve: Serve, answer: Any = (), *, status: int = 200) -> tuple[RasaBackend, Server]:
    server = await serve(reply(status, json_body=list(answer) if isinstance(answer, tuple) else answer))
    bot = RasaBackend(
        base_url=f"{server.url}/",
        timeout_s=5.0,
        connect_timeout_s=1.0,
        retries=1,
        backoff_s=0.0,
    )
    return bot, server


async def test_sends_sender_and_the_latest_user_message(serve: Serve) -> None:
    bot, server = await backend(serve, [{"recipient_id": "cust-abc", "text": "Hi!"}])
    await bot.complete(
        request(
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "an answer"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
            {"role": "system", "content": "not sent"},
        )
    )
    await bot.aclose()

    (sent,) = server.received
    assert (sent.method, sent.path) == ("POST", "/webhooks/rest/webhook")
    assert sent.json() == {"sender": "cust-abc", "message": "second"}
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
async def test_renders_rasa_messages_as_one_text(
    serve: Serve, messages: list[dict[str, Any]], expected: str
) -> None:
    bot, _ = await backend(serve, messages)
    result = await bot.complete(request())
    await bot.aclose()
    assert result.content == expected
    assert result.model == "rasa"


async def test_streams_the_whole_reply_then_finishes(serve: Serve) -> None:
    bot, _ = await backend(
        serve, [{"recipient_id": "c", "text": "Hi!"}, {"recipient_id": "c", "text": "Bye!"}]
    )
    deltas = [delta async for delta in bot.stream(request())]
    await bot.aclose()
    assert deltas == [
        BackendDelta(content="Hi!\n\nBye!", model="rasa"),
        BackendDelta(finish_reason="stop", model="rasa"),
    ]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"text": "not a list"}, id="object"),
        pytest.param(["just a string"], id="list-of-strings"),
    ],
)
async def test_rejects_replies_that_are_not_message_lists(serve: Serve, answer: Any) -> None:
    bot, _ = await backend(serve, answer)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert caught.value.kind == "protocol"


async def test_status_errors_do_not_carry_the_body(serve: Serve) -> None:
    bot, _ = await backend(serve, {"error": SECRET}, status=404)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request({"role": "user", "content": SECRET}))
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("status", 404)
    assert SECRET not in str(caught.value)


async def test_retries_a_5xx_then_answers(serve: Serve) -> None:
    server = await serve(replies(reply(502), reply(json_body=[{"recipient_id": "c", "text": "Back!"}])))
    bot = RasaBackend(
        base_url=server.url,
        api_key="gateway-key",
        timeout_s=5.0,
        connect_timeout_s=1.0,
        retries=1,
        backoff_s=0.0,
    )
    reply_ = await bot.complete(request())
    await bot.aclose()
    assert reply_.content == "Back!"
    assert len(server.received) == 2
    assert all(r.headers["authorization"] == "Bearer gateway-key" for r in server.received)


async def test_models_reports_the_configured_name(serve: Serve) -> None:
    bot, server = await backend(serve)
    assert await bot.models() == ["rasa"]
    await bot.aclose()
    assert server.received == []
