"""The Rasa backend, over Rasa's REST input channel.

Rasa keeps the conversation state itself, keyed by ``sender``, so only the latest user
message is sent. Its reply is a list of bot messages, flattened here into one text.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

from app.backends.base import BackendDelta, BackendError, BackendReply, BackendRequest
from app.backends.http import BackendHttp, bearer_headers, check_http_url
from app.backends.messages import last_user_text, reply_as_stream


class RasaBackend:
    """A Rasa assistant at ``POST {base_url}/webhooks/rest/webhook``.

    ``model`` is only the name Candor reports for it (Rasa has no model field).
    """

    kind = "rasa"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None = None,
        model: str = "rasa",
        timeout_s: float,
        connect_timeout_s: float,
        retries: int,
        backoff_s: float = 0.1,
    ) -> None:
        self._url = check_http_url(base_url).rstrip("/") + "/webhooks/rest/webhook"
        self._model = model
        self._http = BackendHttp(
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            retries=retries,
            # Rasa's REST channel has no auth; a key is for a gateway in front of it.
            headers=bearer_headers(api_key),
            backoff_s=backoff_s,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(self, request: BackendRequest) -> BackendReply:
        body = {"sender": request.sender, "message": last_user_text(request.messages)}
        data = await self._http.request_json("POST", self._url, body=body)
        if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
            raise BackendError("protocol", "Rasa reply is not a list of messages")
        return BackendReply(content=render_messages(data), model=self._model)

    async def stream(self, request: BackendRequest) -> AsyncGenerator[BackendDelta, None]:
        async for delta in reply_as_stream(await self.complete(request)):
            yield delta

    async def models(self) -> list[str]:
        return [self._model]


def render_messages(messages: list[Mapping[str, Any]]) -> str:
    """Rasa bot messages as one text: paragraphs separated by blank lines."""
    paragraphs: list[str] = []
    for message in messages:
        lines: list[str] = []
        if isinstance(text := message.get("text"), str) and text.strip():
            lines.append(text.strip())
        if isinstance(image := message.get("image"), str) and image:
            lines.append(f"Image: {image}")
        buttons = message.get("buttons")
        titles = [
            str(button["title"])
            for button in (buttons if isinstance(buttons, list) else ())
            if isinstance(button, Mapping) and button.get("title")
        ]
        if titles:
            lines.append("Options: " + ", ".join(titles))
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
