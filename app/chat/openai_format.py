"""Shaping replies as OpenAI Chat Completions objects and SSE chunks."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from app.chat.turn_types import Reply, StreamPiece, TurnMeta


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def completion(reply: Reply, meta: TurnMeta) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {key: value for key, value in call.items() if key != "index"} for call in reply.tool_calls
        ]
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
        "usage": reply.usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "candor": meta.as_candor_object(),
    }


def chunk(*, chunk_id: str, model: str, piece: StreamPiece, meta: TurnMeta, first: bool, created: int) -> str:
    delta: dict[str, Any] = {}
    if first:
        delta["role"] = "assistant"
    if piece.content or first:
        delta["content"] = piece.content
    if piece.tool_calls:
        delta["tool_calls"] = list(piece.tool_calls)
    body: dict[str, Any] = {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": piece.finish_reason, "logprobs": None}],
    }
    # The candor object rides on the first and the last chunk, where clients look for it.
    if first or piece.finish_reason:
        body["candor"] = meta.as_candor_object()
    return f"data: {json.dumps(body, separators=(',', ':'))}\n\n"


DONE = "data: [DONE]\n\n"
