"""Consent to AI inside a chat turn: the customer's standing choice (read beside the
conversation lookup), what they said about it this turn (the ``ai_consent`` guardrail),
and what the turn must do about it.

- opted out (now or before): the turn goes to the human queue with reason
  ``customer_request``; the model is never called, on any channel of the tenant;
- opting in again: stored, the customer's queued requests for a person are withdrawn,
  and Candor confirms (the model answers from the next turn on);
- policy ``consent.require_opt_in`` and no opt-in yet: Candor asks for it, the model is
  not called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.chat.detection import Escalation
from app.chat.handoff import TurnHandoff
from app.chat.turn_types import PreparedTurn
from app.conversations.models import Conversation
from app.customers import consent as consents
from app.customers.consent import AiChoice, ConsentResult, ConsentSource
from app.customers.handoffs import withdraw_requests
from app.customers.lookup import ConsentLookup
from app.customers.subjects import conversation_subject, conversations_of, subject_of
from app.db import WriteGate
from escalation.store import Change
from guardrails.base import Action, Decision, ReasonCode
from guardrails.locale import ConsentTexts, customer_locale, shipped_texts
from guardrails.pipeline import Outcome
from guardrails.policy import Policy


def said_in_chat(outcomes: Iterable[Outcome]) -> AiChoice | None:
    """What the customer said about AI this turn (an enforced ``ai_consent`` verdict);
    an opt-out wins over an opt-in."""
    said = [
        outcome.decision.annotations.get("consent")
        for outcome in outcomes
        if outcome.enforced and not outcome.failed
    ]
    if AiChoice.OPT_OUT.value in said:
        return AiChoice.OPT_OUT
    if AiChoice.OPT_IN.value in said:
        return AiChoice.OPT_IN
    return None


@dataclass(frozen=True, slots=True)
class TurnConsentState:
    stored: AiChoice | None  # the standing choice when the turn began
    result: ConsentResult | None  # the change the customer made this turn, if any
    texts: ConsentTexts

    @property
    def effective(self) -> AiChoice | None:
        return self.result.ai if self.result is not None else self.stored

    @property
    def opted_out(self) -> bool:
        return self.effective is AiChoice.OPT_OUT

    @property
    def just_opted_in(self) -> bool:
        return self.result is not None and self.result.changed and self.result.ai is AiChoice.OPT_IN

    def needs_opt_in(self, policy: Policy) -> bool:
        return policy.consent.require_opt_in and self.effective is not AiChoice.OPT_IN


def consent_escalation() -> Escalation:
    """The handoff of a customer who opted out: as if they had asked for a person."""
    decision = Decision(
        guardrail="consent",
        action=Action.ESCALATE,
        text="",
        reason="the customer opted out of AI; every turn goes to a person",
        score=1.0,
        reason_code=ReasonCode.CUSTOMER_REQUEST,
        annotations={"severity": "normal", "consent": AiChoice.OPT_OUT.value},
    )
    return Escalation(decision=decision, severity="normal", reply=None)


class TurnConsent:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        lookup: ConsentLookup,
        handoff: TurnHandoff,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = gate
        self._lookup = lookup
        self._handoff = handoff

    async def choices(
        self, *, tenant_id: str, pseudonym: str | None, conversation_id: str | None
    ) -> dict[str, str | None]:
        """The stored choices, read beside the conversation lookup (see ``ConsentLookup``)."""
        return await self._lookup.choices(
            tenant_id=tenant_id, pseudonym=pseudonym, conversation_id=conversation_id
        )

    async def settle(
        self,
        prepared: PreparedTurn,
        *,
        choices: dict[str, str | None],
        outcomes: Iterable[Outcome],
        request_id: str | None,
    ) -> TurnConsentState:
        """The customer's choice for this turn; a choice said in the chat is stored (and
        audited) before the turn goes on."""
        conversation = prepared.conversation
        stored = await self._stored(conversation, choices)
        said = said_in_chat(outcomes)
        result = None
        if said is not None:
            result = await self._record(conversation, said, request_id=request_id)
            if result.changed:
                prepared.events.append(consents.consent_event(prepared.scope, result, actor="customer"))
        # The customer's language as every Candor text picks it: the stored or sent locale,
        # else the Accept-Language preferences.
        language = customer_locale(prepared.ctx.locale or conversation.locale, prepared.ctx.languages)
        return TurnConsentState(stored=stored, result=result, texts=shipped_texts(language).consent)

    async def _stored(self, conversation: Conversation, choices: dict[str, str | None]) -> AiChoice | None:
        subject = subject_of(conversation)
        if subject not in choices:
            # The conversation belongs to a customer the request did not name (rare).
            choices = await self._lookup.choices(
                tenant_id=conversation.tenant_id, pseudonym=subject, conversation_id=conversation.id
            )
        # The customer's own choice first, then the one made in this conversation anonymously.
        value = choices.get(subject) or choices.get(conversation_subject(conversation.id))
        return AiChoice(value) if value else None

    async def _record(
        self, conversation: Conversation, said: AiChoice, *, request_id: str | None
    ) -> ConsentResult:
        subject = subject_of(conversation)
        changes: list[Change] = []
        async with self._gate.writing(self._sessionmaker) as session:
            result = await consents.record(
                session=session,
                tenant_id=conversation.tenant_id,
                subject=subject,
                ai=said,
                source=ConsentSource.CHAT,
                conversation_id=conversation.id,
            )
            if result.changed and said is AiChoice.OPT_IN:
                held = await conversations_of(
                    session=session, tenant_id=conversation.tenant_id, subject=subject
                )
                changes = await withdraw_requests(
                    session=session, conversations=held, notice=None, request_id=request_id
                )
                for other in held:
                    if other.id == conversation.id:
                        conversation.mode = other.mode  # this turn goes on from the new mode
        for change in changes:
            self._handoff.announce(change)
        return result
