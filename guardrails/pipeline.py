"""Runs one stage of a policy: its guardrails in order, each inside a time budget.

Each guardrail sees the text as the previous enforced guardrail left it. A guardrail in
``monitor`` mode decides and is recorded, but changes nothing. Every guardrail of the
stage runs even after one escalates, so that, for example, a message that is handed to a
person is still redacted before it is stored. An enforced guardrail that raises or
overruns its budget stops the stage and fails it closed: the verdict is BLOCK or ESCALATE
(per policy) with reason code ``guardrail_error``, and the caller must neither forward
nor store the text. A guardrail on trial (``monitor``) that crashes is recorded as failed
and the stage goes on: monitor mode never changes a turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.base import (
    ACTION_RANK,
    Action,
    Decision,
    Guardrail,
    Mode,
    ReasonCode,
    Stage,
    TurnContext,
)
from guardrails.policy import OnError, Policy
from guardrails.registry import guardrail_class
from guardrails.resources import Resources


@dataclass(frozen=True, slots=True)
class Rail:
    guardrail: Guardrail
    mode: Mode
    budget_s: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """One guardrail's decision on one text, as the audit trail records it."""

    decision: Decision
    mode: Mode
    stage: Stage
    latency_ms: float
    failed: bool = False  # raised or timed out

    @property
    def enforced(self) -> bool:
        return self.mode is Mode.ENFORCE


@dataclass(frozen=True, slots=True)
class StageResult:
    text: str
    outcomes: tuple[Outcome, ...]
    verdict: Decision | None  # the strongest enforced ESCALATE/BLOCK, if any
    failed: bool  # a guardrail crashed or overran: fail closed

    @property
    def action(self) -> Action:
        return self.verdict.action if self.verdict else Action.ALLOW


class Pipeline:
    """The input and output stages of one policy version, with guardrails built once."""

    def __init__(self, *, stages: dict[Stage, Sequence[Rail]], on_error: OnError) -> None:
        self._stages = stages
        self._on_error = on_error

    @classmethod
    def from_policy(cls, policy: Policy, *, resources: Resources) -> Pipeline:
        stages: dict[Stage, Sequence[Rail]] = {}
        for stage, configs in ((Stage.INPUT, policy.input), (Stage.OUTPUT, policy.output)):
            rails = []
            for config in configs:
                guardrail_cls = guardrail_class(config.guardrail)
                guardrail = guardrail_cls(params=config.typed_params(), resources=resources)
                budget_ms = config.budget_ms or policy.default_budget_ms
                rails.append(Rail(guardrail=guardrail, mode=config.mode, budget_s=budget_ms / 1000))
            stages[stage] = tuple(rails)
        return cls(stages=stages, on_error=policy.on_guardrail_error)

    def names(self, stage: Stage) -> list[str]:
        return [rail.guardrail.name for rail in self._stages.get(stage, ())]

    @property
    def redacts_history(self) -> bool:
        return any(_redacts_history(rail) for rail in self._stages.get(Stage.INPUT, ()))

    async def run(self, stage: Stage, text: str, ctx: TurnContext) -> StageResult:
        return await self._run(self._stages.get(stage, ()), stage, text, ctx)

    async def run_history(self, text: str, ctx: TurnContext) -> StageResult:
        """Runs only the input guardrails that also apply to resent earlier messages."""
        rails = [rail for rail in self._stages.get(Stage.INPUT, ()) if _redacts_history(rail)]
        return await self._run(rails, Stage.INPUT, text, ctx)

    async def _run(self, rails: Sequence[Rail], stage: Stage, text: str, ctx: TurnContext) -> StageResult:
        outcomes: list[Outcome] = []
        verdict: Decision | None = None
        for rail in rails:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(rail.budget_s):
                    decision = await rail.guardrail.check(text, ctx)
            except Exception as exc:  # noqa: BLE001 - any crash must fail the turn closed
                failure = self._failure(rail, text, exc)
                outcomes.append(Outcome(failure, rail.mode, stage, _elapsed_ms(started), failed=True))
                if rail.mode is Mode.MONITOR:
                    continue  # a guardrail on trial changes nothing, its crash included
                return StageResult(text=text, outcomes=tuple(outcomes), verdict=failure, failed=True)
            outcomes.append(Outcome(decision, rail.mode, stage, _elapsed_ms(started)))
            if rail.mode is Mode.MONITOR:
                continue
            if decision.action in (Action.REDACT, Action.ANNOTATE):
                text = decision.text
            elif decision.action in (Action.ESCALATE, Action.BLOCK) and (
                verdict is None or ACTION_RANK[decision.action] > ACTION_RANK[verdict.action]
            ):
                verdict = decision
                text = decision.text
        return StageResult(text=text, outcomes=tuple(outcomes), verdict=verdict, failed=False)

    def _failure(self, rail: Rail, text: str, exc: BaseException) -> Decision:
        # The exception text may quote customer input, so only its type is kept.
        kind = "timed out" if isinstance(exc, TimeoutError) else f"failed ({type(exc).__name__})"
        action = Action.ESCALATE if self._on_error is OnError.HANDOFF else Action.BLOCK
        return Decision(
            guardrail=rail.guardrail.name,
            action=action,
            text=text,
            reason=f"guardrail {rail.guardrail.name} {kind}; the turn was stopped (fail closed)",
            score=1.0,
            reason_code=ReasonCode.GUARDRAIL_ERROR,
        )


def _redacts_history(rail: Rail) -> bool:
    return bool(getattr(rail.guardrail, "redacts_history", False))


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
