"""The data of one chat turn: the request as Candor sees it, what the response says about
Candor's handling, the reply, stream pieces, and everything decided before the backend
is called."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from app.audit.events import AuditScope
from app.chat.schemas import ChatCompletionRequest
from app.conversations.models import Conversation
from app.ops import metrics
from app.tenants.keys import Principal
from app.tenants.policies import ActivePolicy
from guardrails.base import TurnContext
from guardrails.pii_tokens import PiiTokens
from guardrails.pipeline import Outcome
from guardrails.policy import Messages


@dataclass(frozen=True, slots=True)
class TurnRequest:
    principal: Principal
    body: ChatCompletionRequest
    conversation_id: str | None
    customer_id: str | None
    request_id: str
    accept_language: str | None = None  # the header, for the customer's language


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
class PreparedTurn:
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

    @property
    def messages(self) -> Messages:
        """Candor's own texts for this turn, in the customer's language."""
        return self.active.policy.messages.localized(self.ctx.locale, self.ctx.languages)


def count_outcomes(outcomes: tuple[Outcome, ...]) -> None:
    """Metrics for a stage's decisions: counts by action and mode, latency per guardrail."""
    for outcome in outcomes:
        decision = outcome.decision
        metrics.DECISIONS.labels(decision.guardrail, decision.action.value, outcome.mode.value).inc()
        metrics.GUARDRAIL_LATENCY.labels(decision.guardrail, outcome.stage.value).observe(
            outcome.latency_ms / 1000
        )
