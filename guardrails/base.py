"""The guardrail vocabulary: one protocol, one verdict type, one context.

A guardrail is a class with a ``name``, a pydantic ``Params`` model and one coroutine,
``check(text, ctx) -> Decision``. It never raises to block or escalate: a block or an
escalation is a ``Decision``. A guardrail that raises anyway makes the pipeline fail the
turn closed.

Nothing here (or anywhere in ``guardrails/``) imports a web, database or HTTP library:
text in, ``Decision`` out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Protocol, runtime_checkable

from pydantic import AfterValidator, BaseModel, ConfigDict


class Action(StrEnum):
    """What a guardrail wants done with the turn, mildest first."""

    ALLOW = "allow"
    ANNOTATE = "annotate"  # text changed or added to, nothing hidden (e.g. disclosure)
    REDACT = "redact"  # parts of the text replaced before they travel on
    ESCALATE = "escalate"  # a human must take over; the bot is not called
    BLOCK = "block"  # the turn is refused


# Severity order, used to pick the verdict that wins a stage.
ACTION_RANK: Mapping[Action, int] = {action: rank for rank, action in enumerate(Action)}


class Stage(StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class Mode(StrEnum):
    ENFORCE = "enforce"
    MONITOR = "monitor"  # decide and audit, but change nothing ("would have")


class ReasonCode(StrEnum):
    """The fixed list of reasons an escalation or block can give."""

    CUSTOMER_REQUEST = "customer_request"
    FRUSTRATION = "frustration"
    CRISIS = "crisis"
    SENSITIVE_TOPIC = "sensitive_topic"
    LOOP = "loop"
    BOT_FAILURE = "bot_failure"
    POLICY = "policy"
    GUARDRAIL_ERROR = "guardrail_error"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a detector found: where and what kind, never the value itself."""

    entity_type: str
    start: int
    end: int
    score: float
    detector: str


@dataclass(frozen=True, slots=True)
class Decision:
    guardrail: str
    action: Action
    text: str  # the text after this guardrail (redacted, rewritten, or unchanged)
    reason: str  # readable by a customer or auditor; never raw PII
    score: float = 0.0  # 0 no risk ... 1 certain
    findings: tuple[Finding, ...] = ()
    reason_code: ReasonCode | None = None
    # A reply Candor gives itself instead of calling the bot (crisis resources, the
    # truthful answer to "am I talking to a bot?"), used with ESCALATE or BLOCK.
    reply: str | None = None
    # Facts for the caller that are not text (e.g. the disclosure text shown).
    annotations: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TurnContext:
    """What a guardrail may know about the turn besides the text it checks."""

    tenant_id: str
    conversation_id: str
    stage: Stage
    customer_pseudonym: str | None = None
    locale: str | None = None  # as the client stated it (``metadata.locale``), not yet matched
    # The customer's languages from ``Accept-Language``, most preferred first (see
    # guardrails/locale.py); consulted after ``locale``.
    languages: tuple[str, ...] = ()
    # AI replies already given in this conversation before this turn.
    ai_turns_before: int = 0
    # Per-conversation state kept by the app between turns (scores, repeats, vault ...).
    state: Mapping[str, Any] = field(default_factory=dict)
    # A streamed reply is checked piece by piece; 0 is the first (or the whole) piece.
    segment: int = 0

    @property
    def is_first_ai_turn(self) -> bool:
        return self.ai_turns_before == 0


class Params(BaseModel):
    """Base for a guardrail's policy parameters: unknown keys are a policy error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_regex(pattern: str, *, index: int | None = None) -> str:
    """``pattern`` if it compiles; otherwise a ``ValueError`` that makes a policy invalid
    when it is loaded, not on a customer's turn."""
    try:
        re.compile(pattern)
    except re.error as exc:
        where = f"pattern {index}" if index is not None else "pattern"
        raise ValueError(f"{where} is not a valid regular expression: {exc.msg}") from None
    return pattern


def _check_regexes(patterns: tuple[str, ...]) -> tuple[str, ...]:
    for index, pattern in enumerate(patterns):
        check_regex(pattern, index=index)
    return patterns


# A policy field holding regexes (allow-lists, extra phrasings, vetoes).
RegexList = Annotated[tuple[str, ...], AfterValidator(_check_regexes)]


@runtime_checkable
class Guardrail(Protocol):
    name: ClassVar[str]
    # True for guardrails that must also see every earlier message a client resends
    # (normalize, pii): whatever reaches the model is checked, not only the newest turn.
    # Detectors (frustration, loops ...) judge the newest message only.
    # Declared by the classes that need it; read with getattr(..., False).

    async def check(self, text: str, ctx: TurnContext) -> Decision: ...


def allow(guardrail: str, text: str, reason: str = "nothing found") -> Decision:
    """The common no-op verdict."""
    return Decision(guardrail=guardrail, action=Action.ALLOW, text=text, reason=reason)
