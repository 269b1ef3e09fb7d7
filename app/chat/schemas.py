"""The Chat Completions request as Candor accepts it, validated with readable errors."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Role = Literal["system", "developer", "user", "assistant", "tool"]

# OpenAI request fields handed on to the backend unchanged. Everything else a client sends
# (including anything that looks like a switch for Candor's own guardrails) is ignored.
PASSTHROUGH_OPTIONS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "n",
)


# Segment metadata is stored in columns of these widths (fairness reports group by it).
SEGMENT_LIMITS = {"channel": 50, "locale": 35, "region": 50, "conversation_id": 64}


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Role
    content: str | list[TextPart] | None = None
    name: str | None = Field(default=None, max_length=64)
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _has_content(self) -> ChatMessage:
        if self.role == "assistant" and self.tool_calls:
            return self
        if not self.text().strip():
            raise ValueError(f"a {self.role} message needs non-empty content")
        return self

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content)


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(default="candor-demo", min_length=1, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(default=None, max_length=200)
    metadata: dict[str, str] | None = None

    @field_validator("messages")
    @classmethod
    def _ends_with_customer(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages[-1].role not in ("user", "tool"):
            raise ValueError("the last message must have role 'user' (or 'tool' answering a tool call)")
        return messages

    @field_validator("metadata")
    @classmethod
    def _short_metadata(cls, metadata: dict[str, str] | None) -> dict[str, str] | None:
        if not metadata:
            return metadata
        if any(len(key) > 64 or len(value) > 512 for key, value in metadata.items()):
            raise ValueError("metadata keys are at most 64 and values at most 512 characters")
        for key, limit in SEGMENT_LIMITS.items():
            if len(metadata.get(key, "")) > limit:
                raise ValueError(f"metadata.{key} is at most {limit} characters")
        return metadata

    def options(self) -> dict[str, Any]:
        extra = self.model_extra or {}
        return {key: extra[key] for key in PASSTHROUGH_OPTIONS if key in extra}

    def meta(self, key: str) -> str | None:
        return (self.metadata or {}).get(key)
