"""The generic JSON webhook backend, for in-house bots with their own request shape.

The request body comes from a JSON template whose strings may hold ``$text``, ``$sender``
and ``$conversation_id``. The template is parsed once and placeholders are filled in the
parsed structure, so customer text can never break out of its JSON string. The reply
text is read from a dotted path such as ``reply`` or ``data.messages.0.text``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from string import Template
from typing import Any

from app.backends.base import BackendDelta, BackendError, BackendReply, BackendRequest
from app.backends.http import BackendHttp, bearer_headers, check_http_url
from app.backends.messages import last_user_text, reply_as_stream


class WebhookBackend:
    """A bot that takes one JSON POST per user message at ``url`` and answers with JSON."""

    kind = "webhook"

    def __init__(
        self,
        *,
        url: str,
        request_template: str,
        reply_path: str,
        api_key: str | None = None,
        model: str = "webhook",
        timeout_s: float,
        connect_timeout_s: float,
        retries: int,
        backoff_s: float = 0.1,
    ) -> None:
        self._url = check_http_url(url)
        self._template = parse_template(request_template)
        self._reply_path = parse_path(reply_path)
        self._model = model
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
        values = {
            "text": last_user_text(request.messages),
            "sender": request.sender,
            "conversation_id": request.conversation_id,
        }
        data = await self._http.request_json("POST", self._url, body=fill_template(self._template, values))
        return BackendReply(content=find_reply(data, self._reply_path), model=self._model)

    async def stream(self, request: BackendRequest) -> AsyncGenerator[BackendDelta, None]:
        async for delta in reply_as_stream(await self.complete(request)):
            yield delta

    async def models(self) -> list[str]:
        return [self._model]


def parse_template(template: str) -> Any:
    """Parse the request template once, so a bad setting fails at start-up."""
    try:
        return json.loads(template)
    except ValueError:
        raise ValueError("webhook request template is not valid JSON") from None


def parse_path(path: str) -> tuple[str, ...]:
    parts = tuple(path.split("."))
    if not path or not all(parts):
        raise ValueError("webhook reply path must be dotted names such as 'data.messages.0.text'")
    return parts


def fill_template(node: Any, values: Mapping[str, str]) -> Any:
    """A copy of the parsed template with placeholders in its strings replaced.

    ``safe_substitute`` leaves unknown ``$names`` as they are and reads ``$$`` as ``$``.
    """
    if isinstance(node, str):
        return Template(node).safe_substitute(values)
    if isinstance(node, list):
        return [fill_template(item, values) for item in node]
    if isinstance(node, dict):
        return {key: fill_template(value, values) for key, value in node.items()}
    return node


def find_reply(data: Any, path: tuple[str, ...]) -> str:
    """The text at ``path``; list items are addressed by their index."""
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise BackendError("protocol", "reply path not found in webhook answer")
    if isinstance(node, str):
        return node
    if isinstance(node, int | float) and not isinstance(node, bool):
        return str(node)
    raise BackendError("protocol", "webhook reply is not text")
