"""OpenAIBackend against a real httpx transport that plays the OpenAI-compatible server."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest

from app.backends.base import BackendDelta, BackendError, BackendRequest
from app.backends.openai import OpenAIBackend

SECRET = "my card is 4111 1111 1111 1111"  # stands in for customer text
BASE = "http://llm.test/v1"


def request(text: str = "Where is my order?", **options: Any) -> BackendRequest:
    return BackendRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}],
        model="gpt-widget",
        conversation_id="conv-1",
        sender="cust-abc",
        options=options,
    )


def backend(handler: Callable[[httpx.Request], Any], **overrides: Any) -> OpenAIBackend:
    options: dict[str, Any] = {
        "base_url": BASE,
        "api_key": "sk-test",
        "model_override": None,
        "timeout_s": 5.0,
        "connect_timeout_s": 1.0,
        "retries": 2,
        "backoff_s": 0.0,
        "transport": httpx.MockTransport(handler),
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


class Dropping(httpx.AsyncByteStream):
    """A response body that sends some bytes, then fails the way a dropped connection does."""

    def __init__(self, parts: Iterable[bytes], error: Exception) -> None:
        self._parts = list(parts)
        self._error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self._parts:
            yield part
        raise self._error


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
    override: str | None, expected_model: str
) -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=completion())

    bot = backend(handler, model_override=override)
    await bot.complete(
        request(temperature=0.2, max_tokens=50, tools=[{"type": "function"}], stream=True, stream_options={})
    )
    await bot.aclose()

    (sent,) = seen
    assert sent.method == "POST"
    assert str(sent.url) == "http://llm.test/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert json.loads(sent.content) == {
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


async def test_stream_asks_for_a_stream_and_keeps_stream_options() -> None:
    seen: list[dict[str, Any]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(json.loads(req.content))
        return httpx.Response(200, content=sse(chunk({"content": "Hi"}, "stop"), "[DONE]"))

    bot = backend(handler, base_url=BASE + "/", api_key=None)
    await collect(bot.stream(request(stream_options={"include_usage": True})))
    await bot.aclose()

    assert seen[0]["stream"] is True
    assert seen[0]["stream_options"] == {"include_usage": True}


async def test_no_authorization_header_without_a_key() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=completion())

    bot = backend(handler, api_key=None)
    await bot.complete(request())
    await bot.aclose()
    assert "authorization" not in seen[0].headers


# --- parsing replies ---------------------------------------------------------------------


async def test_complete_parses_content_model_and_usage() -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 0}}
    bot = backend(lambda req: httpx.Response(200, json=completion("Hello!", usage=usage)))
    reply = await bot.complete(request())
    await bot.aclose()

    assert reply.content == "Hello!"
    assert reply.model == "gpt-served"
    assert reply.finish_reason == "stop"
    assert reply.tool_calls == ()
    assert reply.usage == {"prompt_tokens": 7, "completion_tokens": 3}


async def test_complete_passes_tool_calls_through() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "track", "arguments": '{"id": 1}'}}
    body = completion(None)
    body["choices"][0]["message"]["tool_calls"] = [call]
    body["choices"][0]["finish_reason"] = "tool_calls"
    bot = backend(lambda req: httpx.Response(200, json=body))
    reply = await bot.complete(request())
    await bot.aclose()

    assert reply.content == ""
    assert reply.finish_reason == "tool_calls"
    assert list(reply.tool_calls) == [call]


async def test_stream_parses_content_tool_call_fragments_and_finish() -> None:
    fragment_1 = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "track", "arguments": ""},
    }
    fragment_2 = {"index": 0, "function": {"arguments": '{"id": 1}'}}
    body = b": keep-alive comment\n\n" + sse(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Let me "}),
        chunk({"content": "check."}),
        chunk({"tool_calls": [fragment_1]}),
        chunk({"tool_calls": [fragment_2]}),
        chunk({}, "tool_calls"),
        {"object": "chat.completion.chunk", "choices": [], "usage": {"total_tokens": 9}},
        "[DONE]",
    )
    bot = backend(lambda req: httpx.Response(200, content=body))
    deltas = await collect(bot.stream(request()))
    await bot.aclose()

    assert deltas == [
        BackendDelta(content="Let me ", model="gpt-served"),
        BackendDelta(content="check.", model="gpt-served"),
        BackendDelta(tool_calls=(fragment_1,), model="gpt-served"),
        BackendDelta(tool_calls=(fragment_2,), model="gpt-served"),
        BackendDelta(finish_reason="tool_calls", model="gpt-served"),
    ]


async def test_stream_with_finish_reason_but_no_done_is_whole() -> None:
    bot = backend(lambda req: httpx.Response(200, content=sse(chunk({"content": "Hi"}, "stop"))))
    deltas = await collect(bot.stream(request()))
    await bot.aclose()
    assert [d.finish_reason for d in deltas] == ["stop"]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        pytest.param(sse(completion()), "protocol", id="sse-instead-of-json"),
        pytest.param(b"<html>oops</html>", "protocol", id="not-json"),
        pytest.param(json.dumps({"choices": []}).encode(), "protocol", id="no-choices"),
        pytest.param(json.dumps([1, 2]).encode(), "protocol", id="a-list"),
    ],
)
async def test_complete_rejects_malformed_replies(body: bytes, kind: str) -> None:
    bot = backend(lambda req: httpx.Response(200, content=body))
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert caught.value.kind == kind


@pytest.mark.parametrize(
    ("stream", "kind"),
    [
        pytest.param(sse(chunk({"content": "Hel"})), "protocol", id="ends-without-done-or-finish"),
        pytest.param(
            Dropping([sse(chunk({"content": "Hel"}))], httpx.ReadError("connection reset")),
            "connect",
            id="connection-dropped",
        ),
        pytest.param(
            Dropping([sse(chunk({"content": "Hel"}))], httpx.RemoteProtocolError("incomplete chunked read")),
            "protocol",
            id="peer-closed-mid-body",
        ),
        pytest.param(
            Dropping([sse(chunk({"content": "Hel"}))], httpx.ReadTimeout("read timed out")),
            "timeout",
            id="stalled",
        ),
        pytest.param(sse(chunk({"content": "Hel"}), "{not json"), "protocol", id="broken-event"),
        pytest.param(sse({"error": {"message": SECRET}}), "protocol", id="error-event"),
    ],
)
async def test_stream_failing_midway_raises_and_is_not_retried(
    stream: bytes | httpx.AsyncByteStream, kind: str
) -> None:
    calls = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if isinstance(stream, bytes):
            return httpx.Response(200, content=stream)
        return httpx.Response(200, stream=stream)

    bot = backend(handler)
    with pytest.raises(BackendError) as caught:
        await collect(bot.stream(request(SECRET)))
    await bot.aclose()

    assert caught.value.kind == kind
    assert calls == 1
    assert SECRET not in str(caught.value)


# --- retries, timeouts, status errors -------------------------------------------------------


class Flaky:
    """A server that fails as listed, then succeeds, and counts the requests it got."""

    def __init__(self, failures: list[httpx.Response | Exception], success: httpx.Response) -> None:
        self.failures = list(failures)
        self.success = success
        self.calls = 0

    def __call__(self, req: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.failures:
            return self.success
        failure = self.failures.pop(0)
        if isinstance(failure, Exception):
            raise failure
        return failure


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.Response(500, text=SECRET), id="500"),
        pytest.param(httpx.Response(503), id="503"),
        pytest.param(httpx.ConnectError("refused"), id="connect-error"),
        pytest.param(httpx.ConnectTimeout("connect timed out"), id="connect-timeout"),
    ],
)
async def test_complete_retries_before_any_reply_was_read(failure: httpx.Response | Exception) -> None:
    handler = Flaky([failure], httpx.Response(200, json=completion("Recovered")))
    bot = backend(handler)
    reply = await bot.complete(request())
    await bot.aclose()
    assert reply.content == "Recovered"
    assert handler.calls == 2


async def test_stream_retries_a_5xx_before_the_stream_started() -> None:
    handler = Flaky([httpx.Response(502)], httpx.Response(200, content=sse(chunk({"content": "Hi"}, "stop"))))
    bot = backend(handler)
    deltas = await collect(bot.stream(request()))
    await bot.aclose()
    assert "".join(d.content for d in deltas) == "Hi"
    assert handler.calls == 2


@pytest.mark.parametrize(
    ("failure", "kind", "status"),
    [
        pytest.param(httpx.Response(500), "status", 500, id="500"),
        pytest.param(httpx.ConnectError("refused"), "connect", None, id="connect-error"),
        pytest.param(httpx.ConnectTimeout("connect timed out"), "timeout", None, id="connect-timeout"),
    ],
)
async def test_retries_are_bounded(
    failure: httpx.Response | Exception, kind: str, status: int | None
) -> None:
    handler = Flaky([failure] * 10, httpx.Response(200, json=completion()))
    bot = backend(handler, retries=2)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == (kind, status)
    assert handler.calls == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422, 429])
async def test_no_retry_after_a_4xx(status: int) -> None:
    handler = Flaky(
        [httpx.Response(status, json={"error": {"message": f"bad: {SECRET}"}})], httpx.Response(200)
    )
    bot = backend(handler)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request(SECRET))
    await bot.aclose()
    assert (caught.value.kind, caught.value.status) == ("status", status)
    assert handler.calls == 1
    assert SECRET not in str(caught.value)


async def test_read_timeout_is_not_retried() -> None:
    handler = Flaky([httpx.ReadTimeout("timed out")], httpx.Response(200, json=completion()))
    bot = backend(handler)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request())
    await bot.aclose()
    assert caught.value.kind == "timeout"
    assert handler.calls == 1


async def test_backoff_doubles_between_attempts() -> None:
    bot = backend(lambda req: httpx.Response(503), retries=2, backoff_s=0.05)
    started = time.monotonic()
    with pytest.raises(BackendError):
        await bot.complete(request())
    await bot.aclose()
    assert time.monotonic() - started >= 0.05 + 0.1


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(lambda req: httpx.Response(400, text=req.content.decode()), id="4xx-echoing-request"),
        pytest.param(lambda req: httpx.Response(500, text=req.content.decode()), id="5xx-echoing-request"),
        pytest.param(lambda req: httpx.Response(200, text=f"{SECRET} is not JSON"), id="invalid-json"),
        pytest.param(lambda req: httpx.Response(200, json={"echo": SECRET}), id="wrong-shape"),
    ],
)
async def test_error_messages_never_carry_customer_text(handler: Callable[[httpx.Request], Any]) -> None:
    bot = backend(handler)
    with pytest.raises(BackendError) as caught:
        await bot.complete(request(SECRET))
    await bot.aclose()
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert caught.value.__cause__ is None


# --- models ---------------------------------------------------------------------------------


async def test_models_lists_server_ids() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"object": "list", "data": [{"id": "a"}, {"id": "b"}]})

    bot = backend(handler)
    assert await bot.models() == ["a", "b"]
    await bot.aclose()
    assert (seen[0].method, str(seen[0].url)) == ("GET", "http://llm.test/v1/models")


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(httpx.Response(404), id="not-found"),
        pytest.param(httpx.Response(200, json={"unexpected": True}), id="wrong-shape"),
    ],
)
async def test_models_falls_back_to_the_override(reply: httpx.Response) -> None:
    bot = backend(lambda req: reply, model_override="gpt-pinned")
    assert await bot.models() == ["gpt-pinned"]
    await bot.aclose()


async def test_models_without_override_reports_the_failure() -> None:
    bot = backend(lambda req: httpx.Response(404))
    with pytest.raises(BackendError) as caught:
        await bot.models()
    await bot.aclose()
    assert caught.value.status == 404


@pytest.mark.parametrize("url", ["llm.test/v1", "ftp://llm.test", "http://"])
def test_bad_base_url_fails_at_construction(url: str) -> None:
    with pytest.raises(ValueError, match="backend URL"):
        OpenAIBackend(
            base_url=url, api_key=None, model_override=None, timeout_s=1, connect_timeout_s=1, retries=0
        )


async def test_stopping_a_stream_early_releases_the_response() -> None:
    class Endless(httpx.AsyncByteStream):
        closed = False

        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                yield sse(chunk({"content": "more "}))

        async def aclose(self) -> None:
            Endless.closed = True

    bot = backend(lambda req: httpx.Response(200, stream=Endless()))
    async with contextlib.aclosing(bot.stream(request())) as deltas:
        async for delta in deltas:
            assert delta.content == "more "
            break
    await bot.aclose()
    assert Endless.closed
