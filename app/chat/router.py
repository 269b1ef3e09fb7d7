"""POST /v1/chat/completions and GET /v1/models: the drop-in OpenAI surface."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from app.chat import openai_format
from app.chat.schemas import ChatCompletionRequest
from app.chat.turn_types import TurnMeta, TurnRequest
from app.conversations.service import validate_conversation_id
from app.errors import InvalidRequest, PayloadTooLarge
from app.http import AnyPrincipal, ChatPrincipal, StateDep, request_id

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    request: Request, principal: ChatPrincipal, state: StateDep
) -> JSONResponse | StreamingResponse:
    body = await _read_body(request, limit=state.settings.max_body_bytes)
    chat = _parse(body, max_messages=state.settings.max_messages)
    conversation_id = request.headers.get("x-conversation-id") or chat.meta("conversation_id")
    turn = TurnRequest(
        principal=principal,
        body=chat,
        conversation_id=validate_conversation_id(conversation_id) if conversation_id else None,
        customer_id=chat.user or request.headers.get("x-customer-id") or None,
        request_id=request_id(request),
        accept_language=request.headers.get("accept-language"),
    )
    model = state.settings.backend_model or chat.model
    if not chat.stream:
        reply, meta = await state.turns.complete(turn)
        return JSONResponse(openai_format.completion(reply, meta), headers=_headers(meta))
    meta, pieces = await state.turns.stream(turn)
    return StreamingResponse(
        _sse(pieces, meta=meta, model=model),
        media_type="text/event-stream",
        headers={**_headers(meta), "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/models")
async def list_models(principal: AnyPrincipal, state: StateDep) -> dict[str, Any]:
    names = await state.backend.models()
    created = int(time.time())
    return {
        "object": "list",
        "data": [{"id": name, "object": "model", "created": created, "owned_by": "candor"} for name in names],
    }


async def _read_body(request: Request, *, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for piece in request.stream():
        size += len(piece)
        if size > limit:
            raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
        chunks.append(piece)
    return b"".join(chunks)


def _parse(body: bytes, *, max_messages: int) -> ChatCompletionRequest:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidRequest("the request body is not valid JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    if isinstance(data.get("messages"), list) and len(data["messages"]) > max_messages:
        raise InvalidRequest(f"at most {max_messages} messages per request", param="messages")
    try:
        return ChatCompletionRequest.model_validate(data)
    except ValidationError as exc:
        # Locations and messages only: pydantic's input echo could quote customer text.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise InvalidRequest(problems, param="messages" if "messages" in problems else None) from None


def _headers(meta: TurnMeta) -> dict[str, str]:
    headers = {"X-Conversation-Id": meta.conversation_id, "X-Candor-Mode": meta.mode}
    if meta.disclosure_notice and meta.answered_by == "ai":
        # On every AI reply, in the customer's language. Header values are Latin-1, so the
        # wording is UTF-8 percent-encoded (RFC 3986; plain ASCII letters, digits and
        # common punctuation stay as they are): decode it with ``urllib.parse.unquote``
        # or ``decodeURIComponent``.
        headers["X-AI-Disclosure"] = quote(meta.disclosure_notice, safe=" .,;:!?'()-")
    return headers


async def _sse(pieces: AsyncIterator[Any], *, meta: TurnMeta, model: str) -> AsyncIterator[str]:
    chunk_id = openai_format.completion_id()
    created = int(time.time())
    first = True
    async for piece in pieces:
        yield openai_format.chunk(
            chunk_id=chunk_id, model=model, piece=piece, meta=meta, first=first, created=created
        )
        first = False
    yield openai_format.DONE
