"""Helpers for backends that speak in single text messages rather than chat histories."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from app.backends.base import BackendDelta, BackendReply


def message_text(message: Mapping[str, Any]) -> str:
    """The text of one OpenAI-shaped message: a string, or the text parts of a part list."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            part["text"]
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str)
        ]
        return "\n".join(parts)
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The latest user message's text; empty when there is none."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message)
    return ""


async def reply_as_stream(reply: BackendReply) -> AsyncGenerator[BackendDelta, None]:
    """Stream a whole reply as one content delta and a finish delta, for backends that
    cannot stream (Rasa, webhooks)."""
    if reply.content or reply.tool_calls:
        yield BackendDelta(content=reply.content, tool_calls=reply.tool_calls, model=reply.model)
    yield BackendDelta(finish_reason=reply.finish_reason, model=reply.model)
