"""Everything a chat turn decides before the backend is called: the conversation and its
policy, the PII token map, the input guardrails over the resent history and the newest
message, detector state, and whether Candor answers itself (a refusal, a handoff, the
truthful answer to "am I talking to a bot?") instead of the bot."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.events import AuditScope, decision_event
from app.chat.detection import Escalation, direct_answer, escalation_of, fold_state, turn_state
from app.chat.handoff import PERSON_MODES, TurnHandoff
from app.chat.redaction import as_backend_message, redact_history
from app.chat.turn_types import PreparedTurn, TurnMeta, TurnRequest, count_outcomes
from app.conversations import service as conversations
from app.conversations.lookup import ConversationLookup
from app.conversations.recorder import TurnRecorder
from app.conversations.service import Segments
from app.conversations.vault import Vault, VaultWrite
from app.crypto import Keys, customer_pseudonym
from app.customers.lookup import ConsentLookup
from app.customers.turn_consent import TurnConsent, TurnConsentState, consent_escalation
from app.db import WriteGate
from app.errors import CandorError, NotFound
from app.group_commit import GroupCommit
from app.ops import metrics
from app.tenants.policies import ActivePolicy, PolicyStore
from escalation.queue import HANDBACK_NOTE, bot_context_notes
from guardrails.base import Action, Stage, TurnContext
from guardrails.locale import header_locale, parse_accept_language
from guardrails.pii import STATE_KEY as PII_TOKENS
from guardrails.pii_tokens import PiiTokens
from guardrails.pipeline import StageResult

log = logging.getLogger(__name__)


class TurnPreparer:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        lookup: ConversationLookup,
        gate: WriteGate,
        policies: PolicyStore,
        recorder: TurnRecorder,
        vault: Vault,
        handoff: TurnHandoff,
        keys: Keys,
        consent: ConsentLookup | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        # Without the fast lookup, consent is read through a session: slower, never skipped.
        self._consent = TurnConsent(
            sessionmaker=sessionmaker,
            gate=gate,
            lookup=consent or ConsentLookup(sessionmaker=sessionmaker),
            handoff=handoff,
        )
        self._lookup = lookup
        self._gate = gate
        self._policies = policies
        self._recorder = recorder
        self._vault = vault
        # Concurrent turns' new values share a transaction (each turn still waits for its own).
        self._vault_writes: GroupCommit[VaultWrite] = GroupCommit(
            sessionmaker=sessionmaker,
            gate=gate,
            write_many=lambda session, writes: vault.save_many(session=session, writes=writes),
        )
        self._handoff = handoff
        self._keys = keys

    def close(self) -> None:
        self._lookup.close()

    async def prepare(self, request: TurnRequest) -> PreparedTurn:
        principal, body = request.principal, request.body
        pseudonym = (
            customer_pseudonym(
                self._keys.pseudonym, tenant_id=principal.tenant_id, customer_id=request.customer_id
            )
            if request.customer_id
            else None
        )
        # The customer's languages: metadata.locale first (below), then Accept-Language.
        languages = parse_accept_language(request.accept_language)
        segments = Segments(
            channel=body.meta("channel"),
            locale=body.meta("locale") or header_locale(languages),
            region=body.meta("region"),
        )
        # What this replica has not written yet is read first: a write that lands during
        # the database read below is then counted twice (harmless: only "none yet" matters
        # for the disclosure), never not at all.
        pending = self._recorder.pending_new(request.conversation_id) if request.conversation_id else None
        pending_ai_turns = self._recorder.pending_ai_turns(request.conversation_id or "")
        pending_state = self._recorder.pending_state(request.conversation_id or "")
        # One short read (the policy is usually cached; the session connects only if
        # something below needs it); the turn's messages are recorded whole at its end, by
        # the recorder, off the request path.
        # The customer's consent to AI is read at the same time (it needs nothing from it).
        conversation, choices = await asyncio.gather(
            self._lookup.find(tenant_id=principal.tenant_id, conversation_id=request.conversation_id),
            self._consent.choices(
                tenant_id=principal.tenant_id, pseudonym=pseudonym, conversation_id=request.conversation_id
            ),
        )
        async with self._sessionmaker() as session:
            active = await self._policies.active(session=session, tenant_id=principal.tenant_id)
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
            locale=body.meta("locale") or conversation.locale,
            languages=languages,
            ai_turns_before=conversation.ai_turns + pending_ai_turns,
            state={**detector_state, PII_TOKENS: tokens},
        )
        meta = TurnMeta(conversation_id=conversation.id, mode=conversation.mode)
        prepared = PreparedTurn(
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
        count_outcomes(result.outcomes)
        prepared.stored_state = dict(conversation.guardrail_state or {})
        prepared.detector_state = fold_state(detector_state, result.outcomes)
        if tokens.new_entries():
            # New values are stored while the bot is working, and the reply is not given
            # before they are: every later turn, on any replica, gives them the same tokens.
            prepared.storing_values = asyncio.create_task(
                self._vault_writes.write(VaultWrite(conversation, tokens, likely_new=is_new)),
                name="vault-write",
            )
        # A failed guardrail may have left PII in the text: it is neither stored nor sent.
        prepared.customer_text = (
            result.text if not result.failed else "[message withheld: a guardrail failed]"
        )
        prepared.events.append(
            scope.event("turn.received", actor="customer", details={"messages": len(body.messages)})
        )
        consent = await self._consent.settle(
            prepared, choices=choices, outcomes=result.outcomes, request_id=request.request_id
        )
        if consent.just_opted_in and conversation.mode not in PERSON_MODES:
            self._confirm_opt_in(prepared, consent)
            return prepared
        if conversation.mode in PERSON_MODES:
            # A person holds (or is about to hold) this conversation: the bot never answers.
            messages = prepared.messages
            prepared.own_reply = (
                messages.handoff_queued if conversation.mode == "queued" else messages.with_person
            )
            prepared.durable = True
            meta.answered_by = "candor"
            return prepared
        escalation = escalation_of(result.outcomes) if not result.failed else None
        if escalation is None and consent.opted_out:
            escalation = consent_escalation()  # opted out before: never the model again
        if escalation is not None:
            queued = consent.texts.opted_out if consent.opted_out else None
            await self._escalate(prepared, escalation, request_id=request.request_id, queued=queued)
            return prepared
        if result.verdict is not None:
            self._answer_verdict(prepared, result)
            return prepared
        if consent.needs_opt_in(prepared.active.policy):
            # Policy: no AI turn before the customer agreed; Candor asks (a person is
            # always one "agent" away: human_request escalates as usual).
            prepared.own_reply = consent.texts.opt_in_prompt
            meta.answered_by = "candor"
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
            prepared.own_reply = prepared.messages.refused
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

    @staticmethod
    def _confirm_opt_in(prepared: PreparedTurn, consent: TurnConsentState) -> None:
        """The customer agreed to AI in the chat: Candor confirms; the bot answers next."""
        prepared.own_reply = consent.texts.opted_in
        prepared.meta.mode = prepared.conversation.mode
        prepared.meta.answered_by = "candor"

    async def _escalate(
        self, prepared: PreparedTurn, escalation: Escalation, *, request_id: str, queued: str | None = None
    ) -> None:
        try:
            handoff = await self._handoff.enqueue(
                conversation=prepared.conversation, escalation=escalation, request_id=request_id
            )
        except CandorError:
            raise  # the request's own fault (another tenant's conversation id): its error
        except Exception as exc:  # noqa: BLE001 - the queue is unreachable: fail closed, not 500
            self._handoff_failed(prepared, escalation, exc)
            return
        prepared.is_new = False  # stored by the handoff
        prepared.durable = True
        prepared.meta.mode = "queued"
        prepared.meta.handoff = handoff.as_candor_object()
        prepared.meta.answered_by = "candor"
        prepared.own_reply = escalation.after_reply(queued or prepared.messages.handoff_queued)
        metrics.TURNS.labels("escalate").inc()

    @staticmethod
    def _handoff_failed(prepared: PreparedTurn, escalation: Escalation, exc: Exception) -> None:
        """The customer needed a person and the queue could not be written. The bot still
        does not answer (a crisis or an explicit request must not get the model): Candor
        says so itself, crisis resources first, and the failure is audited."""
        log.error("handoff could not be queued", extra={"error": type(exc).__name__})
        decision = escalation.decision
        prepared.events.append(
            prepared.scope.event(
                "handoff.failed",
                actor=decision.guardrail,
                action="enqueue",
                reason_code=escalation.reason_code,
                reason="the handoff could not be queued (the store was unreachable)",
                details={"severity": escalation.severity, "error": type(exc).__name__},
            )
        )
        prepared.meta.answered_by = "candor"
        prepared.own_reply = escalation.after_reply(prepared.messages.handoff_failed)
        metrics.TURNS.labels("handoff_failed").inc()

    def _answer_verdict(self, prepared: PreparedTurn, result: StageResult) -> None:
        verdict = result.verdict
        assert verdict is not None
        messages = prepared.messages
        prepared.meta.answered_by = "candor"
        if verdict.action is Action.ESCALATE:
            prepared.own_reply = verdict.reply or messages.handoff_queued
        else:
            prepared.own_reply = verdict.reply or messages.refused
        metrics.TURNS.labels(verdict.action.value).inc()


def _uses_vault(active: ActivePolicy) -> bool:
    pipeline = active.pipeline
    return "pii" in pipeline.names(Stage.INPUT) or "pii_leak" in pipeline.names(Stage.OUTPUT)
