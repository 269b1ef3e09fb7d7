"""One chat turn, end to end: what ``TurnPreparer`` decided (conversation, input
guardrails, handoff), then the backend, the output guardrails, the transcript and the
audit. Streaming and non-streaming share everything but the last step.

The order follows docs/architecture.md: a conversation that is not with the bot never
reaches the backend; an enforced ESCALATE or BLOCK answers with Candor's own words; a
backend failure becomes an apology with the offer of a person, never an error page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.events import decision_event
from app.audit.writer import AuditUnavailable, AuditWriter
from app.backends.base import BackendError, BackendRequest, BotBackend
from app.chat.detection import (
    after_bot_reply,
)
from app.chat.handoff import PERSON_MODES, TurnHandoff
from app.chat.prepare import TurnPreparer
from app.chat.segmenter import Segmenter
from app.chat.turn_types import (
    PreparedTurn,
    Reply,
    StreamPiece,
    TurnMeta,
    TurnRequest,
    count_outcomes,
)
from app.conversations.recorder import TurnRecord, TurnRecorder
from app.conversations.service import AuthorKind
from app.db import WriteGate
from app.ops import metrics
from guardrails.base import Action, Stage
from guardrails.pii_tokens import PiiTokens, StreamRestorer
from guardrails.pipeline import StageResult
from guardrails.policy import OnStoreFailure

log = logging.getLogger(__name__)


class TurnService:
    def __init__(
        self,
        *,
        preparer: TurnPreparer,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        backend: BotBackend,
        audit: AuditWriter,
        recorder: TurnRecorder,
        handoff: TurnHandoff,
        hmac_key: bytes,
        model_override: str | None,
        hold_open_s: float = 0.0,
    ) -> None:
        self._preparer = preparer  # everything decided before the backend is called
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._backend = backend
        self._audit = audit
        self._recorder = recorder
        self._handoff = handoff
        self._hmac_key = hmac_key
        self._model_override = model_override
        self._hold_open_s = hold_open_s

    def close(self) -> None:
        self._preparer.close()

    async def complete(self, request: TurnRequest) -> tuple[Reply, TurnMeta]:
        prepared = await self._preparer.prepare(request)
        model = self._model_override or request.body.model
        if prepared.own_reply is not None:
            await self._finish(prepared, prepared.own_reply, ai_turn=False)
            return Reply(content=prepared.own_reply, model=model), prepared.meta
        self._require_audit_store(prepared)
        started = time.perf_counter()
        try:
            backend_reply = await self._backend.complete(self._backend_request(request, prepared))
        except BackendError as exc:
            apology = await self._backend_failed(prepared, exc, started)
            return Reply(content=apology, model=model), prepared.meta
        self._backend_succeeded(prepared, started)
        output = await self._run_output(prepared, backend_reply.content, segment=0)
        if output.failed or output.action is Action.BLOCK:
            refusal = prepared.messages.refused
            prepared.meta.answered_by = "candor"
            await self._finish(prepared, refusal, ai_turn=False)
            return Reply(content=refusal, model=model), prepared.meta
        # The transcript keeps the tokens; the customer sees their own values again.
        await self._finish(prepared, output.text, ai_turn=True)
        reply = Reply(
            content=prepared.tokens.restore(output.text),
            model=backend_reply.model or model,
            finish_reason=backend_reply.finish_reason,
            tool_calls=tuple(_restore_tool_call(call, prepared.tokens) for call in backend_reply.tool_calls),
            usage=dict(backend_reply.usage) if backend_reply.usage else None,
        )
        return reply, prepared.meta

    async def stream(self, request: TurnRequest) -> tuple[TurnMeta, AsyncIterator[StreamPiece]]:
        """Prepares the turn, then returns the meta and the customer-facing stream.

        The first piece is produced before this returns, so that response headers (the
        disclosure among them) reflect what the stream will show.
        """
        prepared = await self._preparer.prepare(request)
        pieces = self._stream_pieces(request, prepared)
        first = await anext(pieces)

        async def with_first() -> AsyncIterator[StreamPiece]:
            yield first
            async for piece in pieces:
                yield piece

        return prepared.meta, with_first()

    async def _stream_pieces(
        self, request: TurnRequest, prepared: PreparedTurn
    ) -> AsyncIterator[StreamPiece]:
        if prepared.own_reply is not None:
            if prepared.meta.mode in PERSON_MODES and self._hold_open_s > 0:
                async for piece in self._held_open(prepared):
                    yield piece
                return
            await self._finish(prepared, prepared.own_reply, ai_turn=False)
            yield StreamPiece(content=prepared.own_reply, finish_reason="stop")
            return
        self._require_audit_store(prepared)
        shown: list[str] = []  # checked text, with tokens (what the transcript keeps)
        restorer = StreamRestorer(prepared.tokens)  # what the customer sees
        tool_calls: list[dict[str, Any]] = []
        finish_reason = "stop"
        segmenter = Segmenter()
        segment_index = 0
        started = time.perf_counter()
        try:
            async with aclosing(self._backend.stream(self._backend_request(request, prepared))) as deltas:
                async for delta in deltas:
                    tool_calls.extend(dict(call) for call in delta.tool_calls)
                    if delta.finish_reason:
                        finish_reason = delta.finish_reason
                    for segment in segmenter.feed(delta.content):
                        text = await self._checked_segment(prepared, segment, segment_index)
                        if text is None:
                            yield await self._refuse_stream(prepared, shown)
                            return
                        segment_index += 1
                        shown.append(text)
                        visible = restorer.feed(text)
                        if visible:
                            yield StreamPiece(content=visible)
        except BackendError as exc:
            apology = await self._backend_failed(prepared, exc, started, already_shown="".join(shown))
            separator = "\n\n" if shown else ""
            yield StreamPiece(content=restorer.flush() + separator + apology, finish_reason="stop")
            return
        self._backend_succeeded(prepared, started)
        tail = segmenter.flush()
        last = ""
        # An empty reply still gets its checks (the disclosure must not be skipped).
        if tail or segment_index == 0:
            text = await self._checked_segment(prepared, tail, segment_index)
            if text is None:
                yield await self._refuse_stream(prepared, shown)
                return
            shown.append(text)
            last = restorer.feed(text)
        last += restorer.flush()
        await self._finish(prepared, "".join(shown), ai_turn=True)
        calls = tuple(_restore_tool_call(call, prepared.tokens) for call in _merge_tool_calls(tool_calls))
        yield StreamPiece(content=last, tool_calls=calls, finish_reason=finish_reason)

    async def _held_open(self, prepared: PreparedTurn) -> AsyncIterator[StreamPiece]:
        """A person holds the conversation: say so, then keep the stream open (bounded)
        and deliver what people post, for widgets that only speak Chat Completions."""
        own_reply = prepared.own_reply or ""
        async with self._handoff.listening(prepared.conversation) as replies:
            last_seq = await self._finish(prepared, own_reply, ai_turn=False)
            yield StreamPiece(content=own_reply)
            async for item in replies.until_answered(after_seq=last_seq or 0, wait_s=self._hold_open_s):
                if item.get("author_kind") == "agent":
                    prepared.meta.answered_by = "agent"
                    prepared.meta.mode = "human"
                name = item.get("author_name")
                label = f"{name}: " if item.get("author_kind") == "agent" and name else ""
                yield StreamPiece(content=f"\n\n{label}{item.get('content', '')}")
        yield StreamPiece(finish_reason="stop")

    async def _checked_segment(self, prepared: PreparedTurn, segment: str, index: int) -> str | None:
        output = await self._run_output(prepared, segment, segment=index)
        if output.failed or output.action is Action.BLOCK:
            return None
        return output.text

    async def _refuse_stream(self, prepared: PreparedTurn, shown: list[str]) -> StreamPiece:
        refusal = prepared.messages.refused
        prepared.meta.answered_by = "candor"
        await self._finish(
            prepared, "".join(shown) + ("\n\n" if shown else "") + refusal, ai_turn=bool(shown)
        )
        return StreamPiece(content=("\n\n" if shown else "") + refusal, finish_reason="stop")

    # -- the steps -------------------------------------------------------------------------

    def _require_audit_store(self, prepared: PreparedTurn) -> None:
        """Under ``audit.on_store_failure: fail_closed``, no AI turn while the audit store
        cannot be written; what was decided so far is still spooled."""
        if self._audit.store_available:
            return
        if prepared.active.policy.audit.on_store_failure is not OnStoreFailure.FAIL_CLOSED:
            return
        prepared.events.append(
            prepared.scope.event(
                "turn.refused",
                actor="candor",
                action="refused",
                reason_code="audit_unavailable",
                reason="the audit store cannot be written; policy is fail_closed",
            )
        )
        self._audit.submit(prepared.events)
        prepared.events = []
        raise AuditUnavailable("the audit trail cannot be written right now; please retry shortly")

    def _backend_request(self, request: TurnRequest, prepared: PreparedTurn) -> BackendRequest:
        return BackendRequest(
            messages=prepared.backend_messages,
            model=self._model_override or request.body.model,
            conversation_id=prepared.conversation.id,
            sender=prepared.conversation.customer_pseudonym or prepared.conversation.id,
            options=request.body.options(),
        )

    async def _run_output(self, prepared: PreparedTurn, text: str, *, segment: int) -> StageResult:
        ctx = replace(prepared.ctx, stage=Stage.OUTPUT, segment=segment)
        result = await prepared.active.pipeline.run(Stage.OUTPUT, text, ctx)
        prepared.events.extend(decision_event(prepared.scope, outcome) for outcome in result.outcomes)
        count_outcomes(result.outcomes)
        for outcome in result.outcomes:
            if not outcome.enforced:
                continue
            # "disclosure": shown in this reply; "disclosure_notice": the customer's
            # wording, named on every AI reply (the X-AI-Disclosure header).
            shown = outcome.decision.annotations.get("disclosure")
            notice = outcome.decision.annotations.get("disclosure_notice", shown)
            if isinstance(notice, str):
                prepared.meta.disclosure_notice = notice
            if isinstance(shown, str) and outcome.decision.action is Action.ANNOTATE:
                prepared.meta.disclosure = shown
        return result

    def _backend_succeeded(self, prepared: PreparedTurn, started: float) -> None:
        metrics.BACKEND_CALLS.labels(self._backend.kind, "ok").inc()
        prepared.events.append(
            prepared.scope.event(
                "backend.call",
                actor=f"backend:{self._backend.kind}",
                action="ok",
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        )

    async def _backend_failed(
        self, prepared: PreparedTurn, exc: BackendError, started: float, *, already_shown: str = ""
    ) -> str:
        metrics.BACKEND_CALLS.labels(self._backend.kind, "error").inc()
        metrics.BACKEND_ERRORS.labels(self._backend.kind, exc.kind).inc()
        log.warning("backend call failed", extra={"backend": self._backend.kind, "error": exc.kind})
        prepared.events.append(
            prepared.scope.event(
                "backend.call",
                actor=f"backend:{self._backend.kind}",
                action="error",
                reason_code="bot_failure",
                reason=f"backend {exc.kind} error" + (f" (HTTP {exc.status})" if exc.status else ""),
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        )
        apology = prepared.messages.backend_unavailable
        prepared.meta.answered_by = "candor"
        stored = f"{already_shown}\n\n{apology}" if already_shown else apology
        await self._finish(prepared, stored, ai_turn=bool(already_shown))
        return apology

    async def _finish(self, prepared: PreparedTurn, shown: str, *, ai_turn: bool) -> int | None:
        """Records the turn (``shown`` as the transcript keeps it: tokens, not values);
        when it is recorded at once, returns the sequence number of its last message."""
        if prepared.storing_values is not None:
            await prepared.storing_values  # a failure here fails the turn: values must persist
            prepared.storing_values = None
        author = AuthorKind.AI if ai_turn else AuthorKind.SYSTEM
        state = prepared.detector_state
        if ai_turn and "loop" in prepared.active.pipeline.names(Stage.INPUT):
            state = after_bot_reply(state, shown, key=self._hmac_key)
        record = TurnRecord(
            conversation=prepared.conversation,
            is_new=prepared.is_new,
            entries=((AuthorKind.CUSTOMER, prepared.customer_text), (author, shown)),
            ai_turn=ai_turn,
            # Written only when a detector changed it (most policies keep none).
            guardrail_state=state if state != prepared.stored_state else None,
        )
        last_seq = None
        if prepared.durable:
            async with self._gate.writing(self._sessionmaker) as session:
                last_seq = await self._recorder.record_now(session, record)
        else:
            self._recorder.submit([record])
        prepared.is_new = False
        prepared.events.append(
            prepared.scope.event(
                "turn.answered",
                actor="candor",
                action=prepared.meta.answered_by,
                details={
                    "mode": prepared.meta.mode,
                    "disclosure_shown": prepared.meta.disclosure is not None,
                },
            )
        )
        # The reply is not completed until its events survive a crash (the spool's fsync).
        await self._audit.submit_durable(prepared.events)
        prepared.events = []
        metrics.TURNS.labels(prepared.meta.answered_by).inc()
        return last_seq


def _restore_tool_call(call: Mapping[str, Any], tokens: PiiTokens) -> dict[str, Any]:
    """A tool call with the customer's values back in its JSON arguments."""
    restored = dict(call)
    function = restored.get("function")
    if isinstance(function, Mapping) and isinstance(function.get("arguments"), str):
        restored["function"] = {
            **function,
            "arguments": tokens.restore(function["arguments"], json_escape=True),
        }
    return restored


def _merge_tool_calls(fragments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Joins streamed tool-call fragments (by index) into whole calls."""
    calls: dict[int, dict[str, Any]] = {}
    for fragment in fragments:
        index = int(fragment.get("index", 0))
        call = calls.setdefault(
            index, {"index": index, "id": None, "type": "function", "function": {"name": "", "arguments": ""}}
        )
        if fragment.get("id"):
            call["id"] = fragment["id"]
        function = fragment.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""
    return [calls[index] for index in sorted(calls)]
