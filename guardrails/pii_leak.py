"""The ``pii_leak`` output guardrail: PII the bot produced that the customer never gave.

Runs on the bot's reply before tokens are restored. Tokens (``<PERSON_1>``, known or
invented) are left untouched for the restore step; values the customer gave in this
conversation (``ctx.state["pii_tokens"]``) are left too. Anything else found is replaced
by a placeholder such as ``[PHONE_NUMBER]``, which is not a token and so can never be
"restored" into anyone's data.

PERSON and LOCATION are off by default: bot personas ("I'm Ava") and store locations are
routine in replies. The tenant's own contact details belong in ``allow_list``.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pydantic import Field

from guardrails.base import Action, Decision, Params, TurnContext, allow
from guardrails.pii import require_engine, tokens_from
from guardrails.pii_engine import SUPPORTED_ENTITIES
from guardrails.pii_policy import (
    EntityList,
    PatternList,
    apply_operators,
    compile_patterns,
    findings,
    select_spans,
)
from guardrails.pii_tokens import TOKEN_RE
from guardrails.resources import Resources

DEFAULT_LEAK_ENTITIES = tuple(e for e in SUPPORTED_ENTITIES if e not in {"PERSON", "LOCATION"})


class PiiLeakParams(Params):
    entities: EntityList = DEFAULT_LEAK_ENTITIES
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    allow_list: PatternList = ()  # e.g. the tenant's support number and address
    placeholder: str = Field(default="[{entity_type}]", pattern=r"^[^<>]*$")
    budget_ms: int = Field(default=2000, gt=0)


class PiiLeakGuardrail:
    """Output guardrail: REDACT PII in the reply that is neither a token nor the customer's."""

    name: ClassVar[str] = "pii_leak"
    Params: ClassVar[type[PiiLeakParams]] = PiiLeakParams

    def __init__(self, *, params: PiiLeakParams, resources: Resources) -> None:
        self._params = params
        self._engine = require_engine(resources)
        self._cpu = resources.cpu
        self._allow = compile_patterns(params.allow_list)
        self._entities = frozenset(params.entities)

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        tokens = tokens_from(ctx)
        async with asyncio.timeout(self._params.budget_ms / 1000):
            detected = await self._engine.analyze(text, cpu=self._cpu)
        protected = [m.span() for m in TOKEN_RE.finditer(text)]
        spans = [
            s
            for s in select_spans(
                text,
                detected,
                entities=self._entities,
                threshold=self._params.score_threshold,
                allow=self._allow,
                protected=protected,
            )
            if not tokens.is_known(text[s.start : s.end])
        ]
        if not spans:
            return allow(self.name, text, "no personal data the customer did not give")
        placeholder = self._params.placeholder
        redacted = apply_operators(
            self._engine.anonymizer,
            text,
            spans,
            lambda entity, _value: placeholder.format(entity_type=entity),
        )
        kinds = ", ".join(sorted({s.entity_type for s in spans}))
        return Decision(
            guardrail=self.name,
            action=Action.REDACT,
            text=redacted,
            reason=f"removed {len(spans)} item(s) of personal data the customer did not give: {kinds}",
            score=max(s.score for s in spans),
            findings=findings(spans),
        )
