"""OpenAIBackend against a real HTTP server on 127.0.0.1 that plays the OpenAI-compatible one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from app.backends.base import BackendDelta, BackendError, BackendRequest
from app.backends.openai import OpenAIBackend
from tests.unit.backends.server import Handler, Serve, replies, reply

SECRET = "my card is 4111 1111 1111 1111"  # stands in for customer text


def request(text: str = "Where is my order?", **options: Any) -> BackendRequest:
    return BackendRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}],
        model="gpt-widget",
        conversation_id="conv-1",
        sender="cust-abc",
        options=options,
    )


def backend(url: str, **overrides: Any) -> OpenAIBackend:
    options: dict[str, Any] = {
        "base_url": f"{url}/v1",
        "api_key": "sk-test",
        "model_override": None,
        "timeout_s": 5.0,
        "connect_timeout_s": 1.0,
        "retries": 2,
        "backoff_s": 0.0,
    }
    options.update(overrides)
    return OpenAIBackend(**options)


def completion(content: str | None = "Hello!", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-served",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        **extra,
    }


def sse(*events: dict[str, Any] | str) -> bytes:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return "".join(lines).encode()


def chunk(delta: dict[str, Any], finish: str | None = None, model: str = "gpt-served") -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"object": "chat.completion.chunk", "model": model, "choices": [choice]}


def streaming(*parts: bytes, pause_s: float = 0.0, then: str = "end") -> Handler:
    """A chunked event stream sending ``parts`` ``pause_s`` apart, then ending as ``then`` says:
    "end" normally, "close" (peer closes mid-body), "reset" (TCP RST) or "stall"."""

    async def handler(req: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(req)
        for part in parts:
            await asyncio.sleep(pause_s)
            await response.write(part)
        assert req.transport is not None
        if then == "reset":
            linger_zero = struct.pack("ii", 1, 0)
            req.transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, linger_zero
            )
            req.transport.close()
        elif then == "close":
            req.transport.close()
        elif then == "stall":
            await asyncio.Event().wait()  # cancelled when the client hangs up
        else:
            await response.write_eof()
        return response

    return handler


async def collect(stream: AsyncIterator[BackendDelta]) -> list[BackendDelta]:
    return [delta async for delta in stream]


# --- what the server receives ------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "expected_model"),
    [
        pytest.param(None, "gpt-widget", id="model-from-request"),
        pytest.param("gpt-pinned", "gpt-pinned", id="model-override-wins"),
    ],
)
async def test_complete_sends_model_messages_options_and_key(
    serve: Serve, override: str | None, expected_model: str
) -> None:
    server = await serve(reply(json_body=completion()))
    bot = backend(server.url, model_override=override)
    await bot.complete(
        request(temperature=0.2, max_tokens=50, tools=[{"type": "function"}], stream=True, stream_options={})
    )
    await bot.aclose()

    (sent,) = server.received
    assert sent.method == "POST"
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {
        "model": expected_model,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Where is my order?"},
        ],
        "temperature": 0.2,
        "max_tokens": 50,
        "tools": [{"type": "function"}],
        "stream": False,
    }


async def test_stream_asks_for_a_stream_and_keeps_stream_options(serve: Serve) -> None:
    server = await serve(streaming(sse(chunk({"content": "Hi"}, "stop"), "[DONE]")))
    bot = backend(server.url, base_url=f"{server.url}/v1/", api_key=None)
    await collect(bot.stream(request(stream_options={"include_usage": True})))
    await bot.aclose()

    (sent,) = server.received
    assert sent.path == "/v1/chat/completions"
    assert sent.json()["stream"] is True
    assert sent.json()["stream_options"] == {"include_usage": True}


async def test_no_authorization_header_without_a_key(serve: Serve) -> None:
    server = await serve(reply(json_body=completion()))
    bot = backend(server.url, api_key=None)
    await bot.complete(request())
    await bot.aclose()
    assert "authorization" not in server.received[0].headers


async def test_connections_are_kept_alive_between_turns(serve: Serve) -> None:
    peers: list[Any] = []

    async def handler(req: web.Request) -> web.StreamResponse:
        assert req.transport is not None
        peers.append(req.transport.get_extra_info("peername"))
        return web.json_response(completion())

    server = await serve(handler)
    bot = backend(server.url)
    for _ in range(3):
        await bot.complete(request())
    await bot.aclose()
    assert len(server.received) == 3
    assert len(set(peers)) == 1


# --- parsing replies ---------------------------------------------------------------------


async def test_complete_parses_content_model_and_usage(serve: Serve) -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 0}}
    server = await serve(reply(json_body=completion("Hello!", usage=usage)))
    bot = backend(server.url)
    reply_ = await bot.complete(request())
    await bot.aclose()

    assert reply_.content == "Hello!"
    assert reply_.model == "gpt-served"
    assert reply_.finish_reason == "stop"
    assert reply_.tool_calls == ()
    assert reply_.usage == {"prompt_tokens": 7, "completion_tokens": 3}


async def test_complete_passes_tool_calls_through(serve: Serve) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "track", "arguments": '{"id": 1}'}}
    body = completion(None)
    body["choices"][0]["message"]["tool_calls"] = [call]
    body["choices"][0]["finish_reason"] = "tool_calls"
    server = await serve(reply(json_body=body))
    bot = backend(server.url)
    reply_ = await bot.complete(request())
    await bot.aclose()

    assert reply_.content == ""
    assert reply_.finish_reason == "tool_calls"
    assert list(reply_.tool_calls) == [call]


async def test_stream_parses_content_tool_call_fragments_and_finish(serve: Serve) -> None:
    fragment_1 = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "track", "arguments": ""},
    }
    fragment_2 = {"index": 0, "function": {"arguments": '{"id": 1}'}}
    events = sse(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Let me "}),
        chunk({"content": "check."}),
        chunk({"tool_calls": [fragment_1]}),
        chunk({"tool_calls": [fragment_2]}),
        chunk({}, "tool_calls"),
        {"object": "chat.completion.chunk", "choices": [], "usage": {"total_tokens": 9}},
        "[DONE]",
    )
    # Sent in uneven pieces, CRLF line endings in part, so events straddle network reads.
    body = b": keep-alive comment\r\n\r\n" + events
    server = await serve(streaming(*(body[i : i + 37] for i in range(0, len(body), 37))))
    bot = backend(server.url)
    deltas = await collect(bot.stream(request()))
    await bot.aclose()

    assert deltas == [
        BackendDelta(content="Let me ", model="gpt-served"),
        BackendDelta(content="check.", model="gpt-served"),
        BackendDelta(tool_calls=(fragment_1,), model="gpt-served"),
        BackendDelta(tool_calls=(fragment_2,), model="gpt-served"),
        BackendDelta(finish_reason="tool_calls", model="gpt-served"),
    ]


async def test_stream_with_finish_reason_but_no_done_is_whole(serve: Serve) -> None:
    server = await serve(reply(body=sse(chunk({"content": "Hi"}, "stop"))))
    bot = backend(server.url)
    deltas = await collect(bot.stream(request()))
    await bot.aclose()
    assert [d.finish_reason for d in deltas] == ["stop"]


async def test_a_slow_but_live_stream_outlasts_the_read_timeout(serve: Serve) -> None:
    parts = [sse(chunk({"content": f"{n} "})) for n in range(5)] + [sse(chunk({}, "stop"))]
    server = await serve(streaming(*parts, pause_s=0.1))
    bot = backend(server.url, timeout_s=0.3)
    started = time.monotonic()
    deltas = await collect(bot.stream(request()))
    await bot.aclose()
    assert time.monotonic() - started > 0.3  # longer than the timeout, in all
    assert "".join(d.content for d in deltas) == "0 1 2 3 4 "


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        pytest.param(sse(completion()), "protocol", id="sse-instead-of-json"),
        pytest.param(b"<html>oops</html>", "protocol", id="not-json"),
        pytest.param(json.dumps({"choices": []}).encode(), "protocol", id="no-choices"),
        pytest.param(json.dumps([1, 2]).encode(), "protocol", id="a-list"),
    ],
)
async def test_complete_rejects_malformed_replies(serve: Serve, body: bytes, kind: str) -> None:
    server = await serve(reply(body=body))
    bot = backend(server.url)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert caught.value.kind == kind


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        pytest.param(streaming(sse(chunk({"content": "Hel"}))), "protocol", id="ends-without-done-or-finish"),
        pytest.param(
            streaming(sse(chunk({"content": "Hel"})), then="reset"), "protocol", id="connection-reset"
        ),
        pytest.param(
            streaming(sse(chunk({"content": "Hel"})), then="close"), "protocol", id="peer-closed-mid-body"
        ),
        pytest.param(streaming(sse(chunk({"content": "Hel"})), then="stall"), "timeout", id="stalled"),
        pytest.param(streaming(sse(chunk({"content": "Hel"}), "{not json")), "protocol", id="broken-event"),
        pytest.param(streaming(sse({"error": {"message": SECRET}})), "protocol", id="error-event"),
    ],
)
async def test_stream_failing_midway_raises_and_is_not_retried(
    serve: Serve, handler: Handler, kind: str
) -> None:
    server = await serve(handler)
    bot = backend(server.url, timeout_s=0.3)
    with pytest.raises(BackendError) as caught:
        await collect(bot.stream(request(SECRET)))
    await bot.aclose()

    assert caught.value.kind == kind
    assert len(server.received) == 1
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


# --- retries, timeouts, status errors -------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(reply(500, body=SECRET), id="500"),
        pytest.param(reply(503), id="503"),
    ],
)
async def test_complete_retries_a_5xx(serve: Serve, failure: Handler) -> None:
    server = await serve(replies(failure, reply(json_body=completion("Recovered"))))
    bot = backend(server.url)
    reply_ = await bot.complete(request())
    await bot.aclose()
    assert reply_.content == "Recovered"
    assert len(server.received) == 2


async def test_complete_retries_a_refused_connect(serve: Serve, closed_port: int) -> None:
    bot = backend(f"http://127.0.0.1:{closed_port}", backoff_s=0.5)
    answer = asyncio.create_task(bot.complete(request()))
    await asyncio.sleep(0.1)  # the first connect is refused at once; the retry waits 0.5 s
    server = await serve(reply(json_body=completion("Recovered")), port=closed_port)
    reply_ = await answer
    await bot.aclose()
    assert reply_.content == "Recovered"
    assert len(server.received) == 1


async def test_stream_retries_a_5xx_before_the_stream_started(serve: Serve) -> None:
    server = await serve(replies(reply(502), streaming(sse(chunk({"content": "Hi"}, "stop")))))
    bot = backend(server.url)
    deltas = await collect(bot.stream(request()))
    await bot.aclose()
    assert "".join(d.content for d in deltas) == "Hi"
    assert len(server.received) == 2


async def test_5xx_retries_are_bounded(serve: Serve) -> None:
    server = await serve(replies(*[reply(500)] * 10, reply(json_body=completion())))
    bot = backend(server.url, retries=2)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("status", 500)
    assert len(server.received) == 3


async def test_connect_retries_are_bounded(closed_port: int) -> None:
    # Refused connects leave no trace on a server, so count the backoffs: 0.5 + 1.0 s for
    # two retries; a third would add 2.0 s more (wide margins: a loaded machine is slow).
    bot = backend(f"http://127.0.0.1:{closed_port}", retries=2, backoff_s=0.5)
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    elapsed = time.monotonic() - started
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("connect", None)
    assert 1.5 <= elapsed < 3.3


@pytest.mark.parametrize("status", [400, 401, 404, 422, 429])
async def test_no_retry_after_a_4xx(serve: Serve, status: int) -> None:
    failure = reply(status, json_body={"error": {"message": f"bad: {SECRET}"}})
    server = await serve(replies(failure, reply(json_body=completion())))
    bot = backend(server.url)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request(SECRET))
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("status", status)
    assert len(server.received) == 1
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_not_followed(serve: Serve, status: int) -> None:
    async def moved(req: web.Request) -> web.StreamResponse:
        if req.path == "/v1/chat/completions":
            return web.Response(status=status, headers={"Location": "/elsewhere"})
        return web.json_response(completion())

    server = await serve(moved)
    bot = backend(server.url)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("status", status)
    assert [r.path for r in server.received] == ["/v1/chat/completions"]


async def test_a_backend_that_never_answers_times_out_once(serve: Serve) -> None:
    async def silent(req: web.Request) -> web.StreamResponse:
        await asyncio.Event().wait()  # cancelled when the client hangs up
        raise AssertionError("unreachable")

    server = await serve(silent)
    bot = backend(server.url, timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    elapsed = time.monotonic() - started
    await bot.aclose()
    assert caught.value.kind == "timeout"
    assert len(server.received) == 1
    assert 0.2 <= elapsed < 1.0


async def test_read_timeout_is_not_retried(serve: Serve) -> None:
    async def slow(req: web.Request) -> web.StreamResponse:
        await asyncio.sleep(1.0)
        return web.json_response(completion())

    server = await serve(replies(slow, reply(json_body=completion())))
    bot = backend(server.url, timeout_s=0.2)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert caught.value.kind == "timeout"
    assert len(server.received) == 1


async def test_backoff_doubles_between_attempts(serve: Serve) -> None:
    server = await serve(reply(503))
    bot = backend(server.url, retries=2, backoff_s=0.05)
    started = time.monotonic()
    with pytest.raises(BackendError):
        await bot.complete(request())
    await bot.aclose()
    assert time.monotonic() - started >= 0.05 + 0.1
    assert len(server.received) == 3


async def _echo(status: int, req: web.Request) -> web.StreamResponse:
    return web.Response(status=status, body=await req.read())


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(lambda req: _echo(400, req), id="4xx-echoing-request"),
        pytest.param(lambda req: _echo(500, req), id="5xx-echoing-request"),
        pytest.param(reply(body=f"{SECRET} is not JSON"), id="invalid-json"),
        pytest.param(reply(json_body={"echo": SECRET}), id="wrong-shape"),
    ],
)
async def test_error_messages_never_carry_customer_text(serve: Serve, handler: Handler) -> None:
    server = await serve(handler)
    bot = backend(server.url)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request(SECRET))
    await bot.aclose()
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert caught.value.__cause__ is None


# --- models ---------------------------------------------------------------------------------


async def test_models_lists_server_ids(serve: Serve) -> None:
    server = await serve(reply(json_body={"object": "list", "data": [{"id": "a"}, {"id": "b"}]}))
    bot = backend(server.url)
    assert await bot.models() == ["a", "b"]
    await bot.aclose()
    (sent,) = server.received
    assert (sent.method, sent.path) == ("GET", "/v1/models")
    assert sent.body == b""
    assert sent.headers["authorization"] == "Bearer sk-test"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(reply(404), id="not-found"),
        pytest.param(reply(json_body={"unexpected": True}), id="wrong-shape"),
    ],
)
async def test_models_falls_back_to_the_override(serve: Serve, answer: Handler) -> None:
    server = await serve(answer)
    bot = backend(server.url, model_override="gpt-pinned")
    assert await bot.models() == ["gpt-pinned"]
    await bot.aclose()


async def test_models_without_override_reports_the_failure(serve: Serve) -> None:
    server = await serve(reply(404))
    bot = backend(server.url)
    with pytest.raises(BackendError) as caught:
        await bot.models()
    await bot.aclose()
    assert caught.value.status == 404


@pytest.mark.parametrize("url", ["llm.test/v1", "ftp://llm.test", "http://", "http://llm.test:99999"])
def test_bad_base_url_fails_at_construction(url: str) -> None:
    with pytest.raises(ValueError, match="backend URL"):
        OpenAIBackend(
            base_url=url, api_key=None, model_override=None, timeout_s=1, connect_timeout_s=1, retries=0
        )


async def test_stopping_a_stream_early_releases_the_connection(serve: Serve) -> None:
    hung_up = asyncio.Event()

    async def endless(req: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(req)
        try:
            while True:
                await response.write(sse(chunk({"content": "more "})))
                await asyncio.sleep(0.01)
        finally:
            hung_up.set()  # the client closed the connection (write failed, or we were cancelled)

    server = await serve(endless)
    bot = backend(server.url)
    async with contextlib.aclosing(bot.stream(request())) as deltas:
        async for delta in deltas:
            assert delta.content == "more "
            break
    # Released at once, not when the backend is closed at shutdown.
    await asyncio.wait_for(hung_up.wait(), timeout=2.0)
    await bot.aclose()
