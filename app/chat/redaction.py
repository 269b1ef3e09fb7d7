"""Redacting the earlier messages a Chat Completions client resends on every turn.

Clients resend the whole history, including assistant messages that by then hold values
Candor restored for the customer. Whatever reaches the model is checked, so every earlier
message of every role (and every tool-call argument string) goes through the input
guardrails that apply to history (normalize, pii). The PII engine caches analysis by
content, so a long history costs lookups, not analyses, and the conversation's token map
gives each value the same token it had before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.chat.schemas import ChatMessage
from guardrails.base import TurnContext
from guardrails.pipeline import Pipeline, StageResult


def as_backend_message(message: ChatMessage) -> dict[str, Any]:
    data = message.model_dump(exclude_none=True)
    if isinstance(data.get("content"), list):  # text parts are flattened for every backend
        data["content"] = message.text()
    return data


async def redact_history(
    pipeline: Pipeline, messages: Sequence[ChatMessage], ctx: TurnContext
) -> tuple[list[dict[str, Any]], StageResult | None]:
    """Backend-ready copies of ``messages``; on a guardrail failure, the failing result."""
    out = [as_backend_message(message) for message in messages]
    if not pipeline.redacts_history:
        return out, None
    for data in out:
        if isinstance(data.get("content"), str) and data["content"].strip():
            result = await pipeline.run_history(data["content"], ctx)
            if result.failed:
                return out, result
            data["content"] = result.text
        for call in data.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            if isinstance(arguments, str) and arguments.strip():
                result = await pipeline.run_history(arguments, ctx)
                if result.failed:
                    return out, result
                function["arguments"] = result.text  # type: ignore[index]
    return out, None
