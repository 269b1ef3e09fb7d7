"""One chat turn, end to end: conversation, input guardrails, backend, output guardrails,
transcript and audit. Streaming and non-streaming share everything but the last step.

The order follows docs/architecture.md: a conversation that is not with the bot never
reaches the backend; an enforced ESCALATE or BLOCK answers with Candor's own words; a
backend failure becomes an apology with the offer of a person, never an error page.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.events import AuditScope, decision_event
from app.audit.writer import AuditWriter
from app.backends.base import BackendError, BackendRequest, BotBackend
from app.chat.detection import (
    Escalation,
    after_bot_reply,
    direct_answer,
    escalation_of,
    fold_state,
    turn_state,
)
from app.chat.handoff import PERSON_MODES, TurnHandoff
from app.chat.redaction import as_backend_message, redact_history
from app.chat.schemas import ChatCompletionRequest
from app.chat.segmenter import Segmenter
from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.conversations.recorder import TurnRecord, TurnRecorder
from app.conversations.service import AuthorKind, Segments
from app.conversations.vault import Vault
from app.crypto import Keys, customer_pseudonym
from app.db import WriteGate
from app.errors import NotFound
from app.ops import metrics
from app.tenants.keys import Principal
from app.tenants.policies import ActivePolicy, PolicyStore
from escalation.queue import HANDBACK_NOTE, bot_context_notes
from guardrails.base import Action, Stage, TurnContext
from guardrails.pii import STATE_KEY as PII_TOKENS
from guardrails.pii_tokens import PiiTokens, StreamRestorer
from guardrails.pipeline import Outcome, StageResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TurnRequest:
    principal: Principal
    body: ChatCompletionRequest
    conversation_id: str | None
    customer_id: str | None
    request_id: str


@dataclass(slots=True)
class TurnMeta:
    """What the response says about Candor's handling (the ``candor`` object, headers)."""

    conversation_id: str
    mode: str
    disclosure: str | None = None  # shown in this reply
    disclosure_notice: str | None = None  # the tenant's wording, for the header
    handoff: dict[str, Any] | None = None
    answered_by: str = "ai"  # ai | candor (Candor's own words, the bot not called)

    def as_candor_object(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "mode": self.mode,
            "disclosure": self.disclosure,
            "handoff": self.handoff,
            "answered_by": self.answered_by,
        }


@dataclass(frozen=True, slots=True)
class Reply:
    content: str
    model: str
    finish_reason: str = "stop"
    tool_calls: tuple[dict[str, Any], ...] = ()
    usage: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class StreamPiece:
    content: str = ""
    tool_calls: tuple[dict[str, Any], ...] = ()
    finish_reason: str | None = None


@dataclass(slots=True)
class _Prepared:
    """Everything decided before the backend is called."""

    conversation: Conversation
    active: ActivePolicy
    scope: AuditScope
    ctx: TurnContext
    meta: TurnMeta
    backend_messages: list[dict[str, Any]]
    tokens: PiiTokens = field(default_factory=PiiTokens)  # the conversation's PII token map
    detector_state: dict[str, Any] = field(default_factory=dict)  # escalation detectors' memory
    stored_state: dict[str, Any] = field(default_factory=dict)  # as the turn found it
    durable: bool = False  # record the turn before answering (handoffs)
    storing_values: asyncio.Task[None] | None = None  # the vault write of this turn's new values
    is_new: bool = False  # the conversation is stored with this turn
    customer_text: str = ""  # the newest customer message as stored (redacted)
    own_reply: str | None = None  # set when Candor answers instead of the bot
    events: list[dict[str, Any]] = field(default_factory=list)


class TurnService:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        policies: PolicyStore,
        backend: BotBackend,
        audit: AuditWriter,
        recorder: TurnRecorder,
        vault: Vault,
        handoff: TurnHandoff,
        keys: Keys,
        model_override: str | None,
        hold_open_s: float = 0.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._recorder = recorder
        self._vault = vault
        self._handoff = handoff
        self._hold_open_s = hold_open_s
        self._hmac_key = keys.pii_hmac
        self._policies = policies
        self._backend = backend
        self._audit = audit
        self._keys = keys
        self._model_override = model_override

    async def complete(self, request: TurnRequest) -> tuple[Reply, TurnMeta]:
        prepared = await self._prepare(request)
        model = self._model_override or request.body.model
        if prepared.own_reply is not None:
            await self._finish(prepared, prepared.own_reply, ai_turn=False)
            return Reply(content=prepared.own_reply, model=model), prepared.meta
        started = time.perf_counter()
        try:
            backend_reply = await self._backend.complete(self._backend_request(request, prepared))
        except BackendError as exc:
            apology = await self._backend_failed(prepared, exc, started)
            return Reply(content=apology, model=model), prepared.meta
        self._backend_succeeded(prepared, started)
        output = await self._run_output(prepared, backend_reply.content, segment=0)
        if output.failed or output.action is Action.BLOCK:
            refusal = prepared.active.policy.messages.refused
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
        prepared = await self._prepare(request)
        pieces = self._stream_pieces(request, prepared)
        first = await anext(pieces)

        async def with_first() -> AsyncIterator[StreamPiece]:
            yield first
            async for piece in pieces:
                yield piece

        return prepared.meta, with_first()

    async def _stream_pieces(self, request: TurnRequest, prepared: _Prepared) -> AsyncIterator[StreamPiece]:
        if prepared.own_reply is not None:
            if prepared.meta.mode in PERSON_MODES and self._hold_open_s > 0:
                async for piece in self._held_open(prepared):
                    yield piece
                return
            await self._finish(prepared, prepared.own_reply, ai_turn=False)
            yield StreamPiece(content=prepared.own_reply, finish_reason="stop")
            return
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

    async def _held_open(self, prepared: _Prepared) -> AsyncIterator[StreamPiece]:
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

    async def _checked_segment(self, prepared: _Prepared, segment: str, index: int) -> str | None:
        output = await self._run_output(prepared, segment, segment=index)
        if output.failed or output.action is Action.BLOCK:
            return None
        return output.text

    async def _refuse_stream(self, prepared: _Prepared, shown: list[str]) -> StreamPiece:
        refusal = prepared.active.policy.messages.refused
        prepared.meta.answered_by = "candor"
        await self._finish(
            prepared, "".join(shown) + ("\n\n" if shown else "") + refusal, ai_turn=bool(shown)
        )
        return StreamPiece(content=("\n\n" if shown else "") + refusal, finish_reason="stop")

    # -- the steps -------------------------------------------------------------------------

    async def _prepare(self, request: TurnRequest) -> _Prepared:
        principal, body = request.principal, request.body
        pseudonym = (
            customer_pseudonym(
                self._keys.pseudonym, tenant_id=principal.tenant_id, customer_id=request.customer_id
            )
            if request.customer_id
            else None
        )
        segments = Segments(
            channel=body.meta("channel"), locale=body.meta("locale"), region=body.meta("region")
        )
        # What this replica has not written yet is read first: a write that lands during
        # the database read below is then counted twice (harmless: only "none yet" matters
        # for the disclosure), never not at all.
        pending = self._recorder.pending_new(request.conversation_id) if request.conversation_id else None
        pending_ai_turns = self._recorder.pending_ai_turns(request.conversation_id or "")
        pending_state = self._recorder.pending_state(request.conversation_id or "")
        # One short read (policy usually cached); the turn's messages are recorded whole
        # at its end, by the recorder, off the request path.
        async with self._sessionmaker() as session:
            active = await self._policies.active(session=session, tenant_id=principal.tenant_id)
            conversation = await conversations.find(
                session=session, tenant_id=principal.tenant_id, conversation_id=request.conversation_id
            )
            notes = (
                await bot_context_notes(session=session, conversation_id=conversation.id)
                if conversation is not None and (conversation.guardrail_state or {}).get(HANDBACK_NOTE)
                else []
            )
            needs_vault = _uses_vault(active)
            tokens = (
                await self._vault.load(session=session, conversation_id=conversation.id)
                if needs_vault and conversation is not None
                else PiiTokens()
            )
        if conversation is None and pending is not None:
            if pending.tenant_id != principal.tenant_id:
                raise NotFound("no such conversation")
            conversation = pending
        is_new = conversation is None or conversation is pending
        if conversation is None:
            conversation = conversations.start(
                tenant_id=principal.tenant_id,
                conversation_id=request.conversation_id,
                customer_id=request.customer_id,
                customer_pseudonym=pseudonym,
                segments=segments,
            )
        detector_state = turn_state(conversation.guardrail_state or {}, pending_state)
        detector_state.pop(HANDBACK_NOTE, None)  # the notes go to the bot this turn
        scope = AuditScope(
            tenant_id=principal.tenant_id,
            request_id=request.request_id,
            conversation_id=conversation.id,
            customer_pseudonym=conversation.customer_pseudonym,
            policy_version=active.version,
            channel=conversation.channel,
            locale=conversation.locale,
            region=conversation.region,
        )
        ctx = TurnContext(
            tenant_id=principal.tenant_id,
            conversation_id=conversation.id,
            stage=Stage.INPUT,
            customer_pseudonym=conversation.customer_pseudonym,
            locale=conversation.locale,
            ai_turns_before=conversation.ai_turns + pending_ai_turns,
            state={**detector_state, PII_TOKENS: tokens},
        )
        meta = TurnMeta(conversation_id=conversation.id, mode=conversation.mode)
        prepared = _Prepared(
            conversation=conversation,
            active=active,
            scope=scope,
            ctx=ctx,
            meta=meta,
            backend_messages=[],
            is_new=is_new,
            tokens=tokens,
        )
        *history, newest = body.messages
        # Earlier messages first, so tokens are numbered in the order values appeared.
        history_out, history_failure = await redact_history(active.pipeline, history, ctx)
        result = history_failure or await active.pipeline.run(Stage.INPUT, newest.text(), ctx)
        prepared.events.extend(decision_event(scope, outcome) for outcome in result.outcomes)
        self._count(result.outcomes)
        prepared.stored_state = dict(conversation.guardrail_state or {})
        prepared.detector_state = fold_state(detector_state, result.outcomes)
        if tokens.new_entries():
            # New values are stored while the bot is working, and the reply is not given
            # before they are: every later turn, on any replica, gives them the same tokens.
            prepared.storing_values = asyncio.create_task(
                self._store_values(conversation, tokens, likely_new=is_new), name="vault-write"
            )
        # A failed guardrail may have left PII in the text: it is neither stored nor sent.
        prepared.customer_text = (
            result.text if not result.failed else "[message withheld: a guardrail failed]"
        )
        prepared.events.append(
            scope.event("turn.received", actor="customer", details={"messages": len(body.messages)})
        )
        if conversation.mode in PERSON_MODES:
            # A person holds (or is about to hold) this conversation: the bot never answers.
            messages = active.policy.messages
            prepared.own_reply = (
                messages.handoff_queued if conversation.mode == "queued" else messages.with_person
            )
            prepared.durable = True
            meta.answered_by = "candor"
            return prepared
        escalation = escalation_of(result.outcomes) if not result.failed else None
        if escalation is not None:
            await self._escalate(prepared, escalation, request_id=request.request_id)
            return prepared
        if result.verdict is not None:
            self._answer_verdict(prepared, result)
            return prepared
        direct = direct_answer(result.outcomes)
        if direct is not None:
            prepared.own_reply = direct
            meta.answered_by = "candor"
            return prepared
        newest_out = as_backend_message(newest)
        newest_out["content"] = result.text
        context = await self._handback_context(active, notes, ctx)
        if context is None:  # a note could not be checked: it is not sent
            prepared.own_reply = active.policy.messages.refused
            meta.answered_by = "candor"
            return prepared
        prepared.backend_messages = [*context, *history_out, newest_out]
        return prepared

    @staticmethod
    async def _handback_context(
        active: ActivePolicy, notes: list[str], ctx: TurnContext
    ) -> list[dict[str, Any]] | None:
        """The people's hand-back notes as a system message, redacted like everything
        else that reaches the model (an agent may have written the customer's details)."""
        if not notes:
            return []
        joined = "\n".join(f"- {note}" for note in notes)
        text = (
            "A member of the support team handled this conversation and handed it back. "
            f"Their notes:\n{joined}"
        )
        result = await active.pipeline.run_history(text, ctx)
        if result.failed:
            return None
        return [{"role": "system", "content": result.text}]

    async def _escalate(self, prepared: _Prepared, escalation: Escalation, *, request_id: str) -> None:
        handoff = await self._handoff.enqueue(
            conversation=prepared.conversation, escalation=escalation, request_id=request_id
        )
        prepared.is_new = False  # stored by the handoff
        prepared.durable = True
        prepared.meta.mode = "queued"
        prepared.meta.handoff = handoff.as_candor_object()
        prepared.meta.answered_by = "candor"
        queued = prepared.active.policy.messages.handoff_queued
        # Crisis resources first, then the handoff.
        prepared.own_reply = f"{escalation.reply}\n\n{queued}" if escalation.reply else queued
        metrics.TURNS.labels("escalate").inc()

    def _answer_verdict(self, prepared: _Prepared, result: StageResult) -> None:
        verdict = result.verdict
        assert verdict is not None
        messages = prepared.active.policy.messages
        prepared.meta.answered_by = "candor"
        if verdict.action is Action.ESCALATE:
            prepared.own_reply = verdict.reply or messages.handoff_queued
        else:
            prepared.own_reply = verdict.reply or messages.refused
        metrics.TURNS.labels(verdict.action.value).inc()

    def _backend_request(self, request: TurnRequest, prepared: _Prepared) -> BackendRequest:
        return BackendRequest(
            messages=prepared.backend_messages,
            model=self._model_override or request.body.model,
            conversation_id=prepared.conversation.id,
            sender=prepared.conversation.customer_pseudonym or prepared.conversation.id,
            options=request.body.options(),
        )

    async def _run_output(self, prepared: _Prepared, text: str, *, segment: int) -> StageResult:
        ctx = replace(prepared.ctx, stage=Stage.OUTPUT, segment=segment)
        result = await prepared.active.pipeline.run(Stage.OUTPUT, text, ctx)
        prepared.events.extend(decision_event(prepared.scope, outcome) for outcome in result.outcomes)
        self._count(result.outcomes)
        for outcome in result.outcomes:
            if not outcome.enforced:
                continue
            notice = outcome.decision.annotations.get("disclosure")
            if isinstance(notice, str):
                prepared.meta.disclosure_notice = notice
                if outcome.decision.action is Action.ANNOTATE:
                    prepared.meta.disclosure = notice
        return result

    def _backend_succeeded(self, prepared: _Prepared, started: float) -> None:
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
        self, prepared: _Prepared, exc: BackendError, started: float, *, already_shown: str = ""
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
        apology = prepared.active.policy.messages.backend_unavailable
        prepared.meta.answered_by = "candor"
        stored = f"{already_shown}\n\n{apology}" if already_shown else apology
        await self._finish(prepared, stored, ai_turn=bool(already_shown))
        return apology

    async def _store_values(self, conversation: Conversation, tokens: PiiTokens, *, likely_new: bool) -> None:
        async with self._gate.writing(self._sessionmaker) as session:
            await conversations.ensure_stored(session=session, conversation=conversation)
            await self._vault.save_new(
                session=session, conversation=conversation, tokens=tokens, likely_new=likely_new
            )

    async def _finish(self, prepared: _Prepared, shown: str, *, ai_turn: bool) -> int | None:
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
        self._audit.submit(prepared.events)
        prepared.events = []
        metrics.TURNS.labels(prepared.meta.answered_by).inc()
        return last_seq

    @staticmethod
    def _count(outcomes: tuple[Outcome, ...]) -> None:
        for outcome in outcomes:
            decision = outcome.decision
            metrics.DECISIONS.labels(decision.guardrail, decision.action.value, outcome.mode.value).inc()
            metrics.GUARDRAIL_LATENCY.labels(decision.guardrail, outcome.stage.value).observe(
                outcome.latency_ms / 1000
            )


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


def _uses_vault(active: ActivePolicy) -> bool:
    pipeline = active.pipeline
    return "pii" in pipeline.names(Stage.INPUT) or "pii_leak" in pipeline.names(Stage.OUTPUT)


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
