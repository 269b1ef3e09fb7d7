"""A zero-latency OpenAI-compatible backend for benchmarks: a bare ASGI app that answers
every chat completion at once with a fixed reply (streamed or not).

Run: python bench/zero_latency_backend.py PORT
"""

from __future__ import annotations

import json
import sys
from typing import Any

import uvicorn

REPLY = "Your order shipped yesterday and should arrive within two business days."
_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22},
    }
).encode()
_STREAM = b"".join(
    [
        *(
            b"data: "
            + json.dumps(
                {"choices": [{"index": 0, "delta": {"content": (" " if i else "") + word}}]}
            ).encode()
            + b"\n\n"
            for i, word in enumerate(REPLY.split(" "))
        ),
        b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n',
        b"data: [DONE]\n\n",
    ]
)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"].endswith("/models"):
        payload, content_type = (
            b'{"object":"list","data":[{"id":"bench","object":"model"}]}',
            b"application/json",
        )
    elif b'"stream": true' in body or b'"stream":true' in body:
        payload, content_type = _STREAM, b"text/event-stream"
    else:
        payload, content_type = _COMPLETION, b"application/json"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": payload})


if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", loop="uvloop", http="httptools"
    )
