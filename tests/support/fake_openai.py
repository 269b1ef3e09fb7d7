"""A fake OpenAI-compatible server on 127.0.0.1, run by uvicorn in a thread.

It records every request it receives and answers from a script of behaviours, so tests
can assert exactly what Candor sent and how Candor copes with timeouts, 500s and streams
that break midway. It raises nothing silently: an exhausted script answers 599.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.threaded_server import serve_in_thread


@dataclass
class Behaviour:
    """One scripted answer: ``reply`` text, or a failure (``status``, ``delay_s``, ``drop_after``)."""

    reply: str = "Hello from the fake backend."
    status: int = 200
    delay_s: float = 0.0
    drop_after: int | None = None  # streamed chunks sent before the connection is cut
    tool_calls: list[dict[str, Any]] | None = None
    # Builds the reply from the request body (e.g. echoes what the model was sent).
    respond: Callable[[dict[str, Any]], str] | None = None

    def text_for(self, body: dict[str, Any]) -> str:
        return self.respond(body) if self.respond else self.reply


@dataclass
class FakeOpenAI:
    script: list[Behaviour] = field(default_factory=list)
    default: Behaviour | None = field(default_factory=Behaviour)
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def next_behaviour(self) -> Behaviour | None:
        return self.script.pop(0) if self.script else self.default

    async def chat(self, request: Request) -> Response:
        body = await request.json()
        self.received.append(body)
        self.headers.append(dict(request.headers))
        behaviour = self.next_behaviour()
        if behaviour is None:
            return JSONResponse({"error": {"message": "script exhausted"}}, status_code=599)
        if behaviour.delay_s:
            await asyncio.sleep(behaviour.delay_s)
        if behaviour.status != 200:
            return JSONResponse({"error": {"message": "scripted failure"}}, status_code=behaviour.status)
        if body.get("stream"):
            return StreamingResponse(self._stream(body, behaviour), media_type="text/event-stream")
        message: dict[str, Any] = {"role": "assistant", "content": behaviour.text_for(body)}
        if behaviour.tool_calls:
            message["tool_calls"] = behaviour.tool_calls
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
            }
        )

    async def _stream(self, body: dict[str, Any], behaviour: Behaviour) -> AsyncIterator[str]:
        words = behaviour.text_for(body).split(" ")
        for index, word in enumerate(words):
            if behaviour.drop_after is not None and index >= behaviour.drop_after:
                raise ConnectionResetError("scripted drop")  # uvicorn cuts the connection
            piece = word if index == 0 else " " + word
            yield _sse({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}, body)
        yield _sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, body)
        yield "data: [DONE]\n\n"

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})


def _sse(chunk: dict[str, Any], body: dict[str, Any]) -> str:
    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": body.get("model"), **chunk}
    return f"data: {json.dumps(chunk)}\n\n"


@contextmanager
def serve_fake_openai(fake: FakeOpenAI | None = None) -> Iterator[FakeOpenAI]:
    fake = fake or FakeOpenAI()
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", fake.chat, methods=["POST"]),
            Route("/v1/models", fake.models, methods=["GET"]),
        ]
    )
    with serve_in_thread(app, name="fake backend") as port:
        fake.url = f"http://127.0.0.1:{port}/v1"
        yield fake
