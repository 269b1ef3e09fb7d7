"""The ``pii`` input guardrail: personal data out of the message before the bot sees it.

Per message: normalise (``normalize_text``), analyse (cached by content, batched with
concurrent messages, in the CPU runner, within ``budget_ms``), add every value already
known in this conversation (so "maria" is redacted after "Maria Gonzalez" even where NER
misses it), drop allow-listed matches (the tenant's order numbers, SKUs), add deny-list
matches, and apply each entity's operator.

The conversation's token map is ``ctx.state["pii_tokens"]`` (a ``PiiTokens`` the app
builds from the vault each turn and persists ``new_entries()`` of afterwards); without
one, a fresh map is used for this call only. Every message of every role is checked the
same way, so a resent history is redacted consistently and costs only cache lookups.

Findings' offsets refer to the normalised text. Errors and time-outs propagate: the
pipeline fails the turn closed.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pydantic import Field, model_validator

from guardrails.base import Action, Decision, Params, ReasonCode, TurnContext, allow
from guardrails.normalize import normalize_text
from guardrails.pii_engine import PII_ENGINE, SUPPORTED_ENTITIES, PiiEngine, Span
from guardrails.pii_policy import (
    EntityList,
    Operator,
    PatternList,
    apply_operators,
    compile_patterns,
    encrypt_value,
    findings,
    keyed_hash,
    mask,
    select_spans,
)
from guardrails.pii_tokens import PiiTokens
from guardrails.resources import Resources

STATE_KEY = "pii_tokens"


class PiiParams(Params):
    """Per-tenant PII policy."""

    entities: EntityList = SUPPORTED_ENTITIES
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    default_operator: Operator = "replace"
    operators: dict[str, Operator] = Field(default_factory=dict)  # entity type -> operator
    allow_list: PatternList = ()  # regexes never redacted (order numbers, SKUs ...)
    deny_list: PatternList = ()  # regexes always redacted, as ``deny_list_entity``
    deny_list_entity: str = Field(default="DENY_LIST", pattern=r"^[A-Z][A-Z_]*$")
    language: str = Field(default="en", pattern="^en$")
    budget_ms: int = Field(default=2000, gt=0)

    @model_validator(mode="after")
    def _operators_for_known_types(self) -> PiiParams:
        unknown = sorted(set(self.operators) - set(self.entities) - {self.deny_list_entity})
        if unknown:
            raise ValueError(f"operators given for entities not enabled: {unknown}")
        return self

    def operator_for(self, entity_type: str) -> Operator:
        return self.operators.get(entity_type, self.default_operator)


def require_engine(resources: Resources) -> PiiEngine:
    engine = resources.engines.get(PII_ENGINE)
    if not isinstance(engine, PiiEngine):
        raise LookupError(
            f"resources.engines[{PII_ENGINE!r}] must hold the engine built by "
            "guardrails.pii_engine.build_pii_engine()"
        )
    return engine


def tokens_from(ctx: TurnContext) -> PiiTokens:
    tokens = ctx.state.get(STATE_KEY)
    return tokens if isinstance(tokens, PiiTokens) else PiiTokens()


class PiiGuardrail:
    """Input guardrail: REDACT found PII, BLOCK when a ``block`` entity is present."""

    name: ClassVar[str] = "pii"
    redacts_history: ClassVar[bool] = True
    Params: ClassVar[type[PiiParams]] = PiiParams

    def __init__(self, *, params: PiiParams, resources: Resources) -> None:
        self._params = params
        self._engine = require_engine(resources)
        self._cpu = resources.cpu
        self._hmac_key = resources.hmac_key
        self._entities = frozenset(params.entities) | {params.deny_list_entity}
        self._allow = compile_patterns(params.allow_list)
        self._deny = compile_patterns(params.deny_list)
        used = {params.operator_for(e) for e in self._entities}
        if used & {"hash", "encrypt"} and not resources.hmac_key:
            raise ValueError("the hash and encrypt PII operators need Resources.hmac_key")

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        normalized = normalize_text(text)
        tokens = tokens_from(ctx)
        async with asyncio.timeout(self._params.budget_ms / 1000):
            detected = await self._engine.analyze(normalized, cpu=self._cpu)
        known = [Span(t, s, e, 1.0, "conversation") for t, s, e in tokens.find_known(normalized)]
        spans = select_spans(
            normalized,
            detected,
            entities=self._entities,
            threshold=self._params.score_threshold,
            allow=self._allow,
            deny=self._deny,
            deny_entity=self._params.deny_list_entity,
            extra=known,
        )
        if not spans:
            return allow(self.name, text)
        blocked = sorted(
            {s.entity_type for s in spans if self._params.operator_for(s.entity_type) == "block"}
        )

        def replace(entity_type: str, value: str) -> str:
            operator = self._params.operator_for(entity_type)
            if operator == "mask":
                return mask(value)
            if operator == "hash":
                return keyed_hash(entity_type, value, key=self._hmac_key)
            if operator == "encrypt":
                return encrypt_value(entity_type, value, hmac_key=self._hmac_key)
            if operator == "block":
                return f"<{entity_type}>"  # no value kept, nothing to restore
            return tokens.token_for(entity_type, value)

        redacted = apply_operators(self._engine.anonymizer, normalized, spans, replace)
        found = findings(spans)
        score = max(s.score for s in spans)
        if blocked:
            return Decision(
                guardrail=self.name,
                action=Action.BLOCK,
                text=redacted,
                reason=f"message contains {', '.join(blocked)}, which policy does not accept in chat",
                score=score,
                findings=found,
                reason_code=ReasonCode.POLICY,
                reply="For your security, please don't share that kind of information in this chat.",
            )
        kinds = ", ".join(sorted({s.entity_type for s in spans}))
        return Decision(
            guardrail=self.name,
            action=Action.REDACT,
            text=redacted,
            reason=f"redacted {len(spans)} personal data item(s): {kinds}",
            score=score,
            findings=found,
        )
