"""The OpenAI-compatible backend: OpenAI itself, vLLM, Ollama, llama.cpp, LiteLLM, ...

Only the first choice of a reply is used; Candor answers one customer with one message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from app.backends.base import BackendDelta, BackendError, BackendReply, BackendRequest
from app.backends.http import BackendHttp, bearer_headers, check_http_url
from app.backends.sse import sse_data

# Fields Candor sets itself; a caller's value for them is replaced, never merged.
_OWN_FIELDS = frozenset({"model", "messages", "stream", "stream_options"})


class OpenAIBackend:
    """A bot behind ``POST {base_url}/chat/completions`` and ``GET {base_url}/models``.

    ``model_override`` pins every request to one model whatever the widget asked for;
    request options (temperature, tools, ...) are passed through unchanged.
    """

    kind = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model_override: str | None,
        timeout_s: float,
        connect_timeout_s: float,
        retries: int,
        backoff_s: float = 0.1,
    ) -> None:
        self._base_url = check_http_url(base_url).rstrip("/")
        self._model_override = model_override
        self._http = BackendHttp(
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            retries=retries,
            headers=bearer_headers(api_key),
            backoff_s=backoff_s,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(self, request: BackendRequest) -> BackendReply:
        url = f"{self._base_url}/chat/completions"
        data = await self._http.request_json("POST", url, body=self._body(request, stream=False))
        return _parse_completion(data, fallback_model=self._model(request))

    async def stream(self, request: BackendRequest) -> AsyncGenerator[BackendDelta, None]:
        """Deltas as the server sends them. Close the iterator (``contextlib.aclosing``) when
        stopping early, so the connection is released at once rather than at garbage collection."""
        url = f"{self._base_url}/chat/completions"
        finished = False
        async with self._http.open("POST", url, body=self._body(request, stream=True)) as response:
            async for payload in sse_data(response.lines()):
                if payload.strip() == "[DONE]":
                    return
                delta = _parse_chunk(payload)
                if delta is None:
                    continue
                finished = finished or delta.finish_reason is not None
                yield delta
        # Without [DONE] a finish_reason is the only proof the answer is whole.
        if not finished:
            raise BackendError("protocol", "stream ended before the reply was finished")

    async def models(self) -> list[str]:
        try:
            return await self._fetch_models()
        except BackendError:
            # A pinned model is still a truthful answer when the server hides its list.
            if self._model_override:
                return [self._model_override]
            raise

    async def _fetch_models(self) -> list[str]:
        data = await self._http.request_json("GET", f"{self._base_url}/models")
        try:
            return [str(entry["id"]) for entry in data["data"]]
        except (KeyError, TypeError):
            raise BackendError("protocol", "unexpected model list shape") from None

    def _model(self, request: BackendRequest) -> str:
        return self._model_override or request.model

    def _body(self, request: BackendRequest, *, stream: bool) -> dict[str, Any]:
        body = {key: value for key, value in request.options.items() if key not in _OWN_FIELDS}
        body["model"] = self._model(request)
        body["messages"] = [dict(message) for message in request.messages]
        body["stream"] = stream
        if stream and "stream_options" in request.options:
            body["stream_options"] = request.options["stream_options"]
        return body


def _parse_completion(data: Any, *, fallback_model: str) -> BackendReply:
    try:
        choice = data["choices"][0]
        message = choice["message"]
        reply = BackendReply(
            content=message.get("content") or "",
            model=data.get("model") or fallback_model,
            finish_reason=choice.get("finish_reason") or "stop",
            tool_calls=tuple(message.get("tool_calls") or ()),
            usage=_int_fields(data.get("usage")),
        )
    except (KeyError, IndexError, TypeError, AttributeError):
        raise BackendError("protocol", "unexpected chat completion shape") from None
    if not isinstance(reply.content, str):
        raise BackendError("protocol", "reply content is not text")
    return reply


def _parse_chunk(payload: str) -> BackendDelta | None:
    """One ``chat.completion.chunk`` as a delta; None for chunks with nothing to pass on."""
    try:
        chunk = json.loads(payload)
    except ValueError:
        raise BackendError("protocol", "stream event is not valid JSON") from None
    if not isinstance(chunk, dict):
        raise BackendError("protocol", "stream event is not an object")
    if "error" in chunk:
        # Some servers report failures mid-stream as an event rather than a status.
        raise BackendError("protocol", "backend sent an error event")
    try:
        choices = chunk.get("choices") or []
        if not choices:
            return None  # e.g. the usage-only chunk that ends a stream_options stream
        choice = choices[0]
        delta = choice.get("delta") or {}
        content = delta.get("content") or ""
        tool_calls = tuple(delta.get("tool_calls") or ())
        finish_reason = choice.get("finish_reason")
    except (TypeError, AttributeError, KeyError, IndexError):
        raise BackendError("protocol", "unexpected stream chunk shape") from None
    if not isinstance(content, str):
        raise BackendError("protocol", "stream content is not text")
    if not content and not tool_calls and finish_reason is None:
        return None  # the role-only opening chunk and keep-alives
    return BackendDelta(
        content=content, tool_calls=tool_calls, finish_reason=finish_reason, model=chunk.get("model")
    )


def _int_fields(usage: object) -> Mapping[str, int] | None:
    # Servers add nested details (prompt_tokens_details, ...); keep the plain counts.
    if not isinstance(usage, dict):
        return None
    return {
        key: value for key, value in usage.items() if isinstance(value, int) and not isinstance(value, bool)
    }
