"""One protocol for every bot backend: OpenAI-compatible LLMs, Rasa, webhooks, the demo bot.

The chat service only ever sees ``BotBackend``. A backend turns a ``BackendRequest``
(redacted messages, never raw PII) into a ``BackendReply`` or a stream of
``BackendDelta``; every failure it cannot recover from becomes a ``BackendError``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class BackendRequest:
    # OpenAI-shaped messages: {"role": ..., "content": ..., optional "tool_calls", ...}
    messages: Sequence[Mapping[str, Any]]
    model: str
    conversation_id: str
    # Stable per customer, never the raw customer id (Rasa's `sender`, webhook field).
    sender: str
    # Other OpenAI request fields passed through as given (temperature, tools, ...).
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BackendReply:
    content: str
    model: str
    finish_reason: str = "stop"
    tool_calls: Sequence[Mapping[str, Any]] = ()
    usage: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class BackendDelta:
    """One streamed piece: text, a tool-call fragment, or the end."""

    content: str = ""
    tool_calls: Sequence[Mapping[str, Any]] = ()
    finish_reason: str | None = None
    model: str | None = None


class BackendError(Exception):
    """The backend could not give a reply. ``kind`` is one of: timeout, connect, status,
    protocol. The message never contains customer text."""

    def __init__(self, kind: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"backend {kind}: {detail}")
        self.kind = kind
        self.status = status


class BotBackend(Protocol):
    kind: str

    async def complete(self, request: BackendRequest) -> BackendReply: ...

    def stream(self, request: BackendRequest) -> AsyncGenerator[BackendDelta, None]: ...

    async def models(self) -> list[str]: ...

    async def aclose(self) -> None: ...
