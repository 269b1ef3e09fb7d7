"""The pipeline, driven by small fake guardrails that implement the real protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from guardrails.base import Action, Decision, Mode, ReasonCode, Stage, TurnContext, allow
from guardrails.pii_engine import PII_ENGINE, PiiEngine, build_pii_engine
from guardrails.pipeline import Pipeline, Rail
from guardrails.policy import DEFAULT_POLICY_PATH, OnError, Policy, parse_policy
from guardrails.resources import CpuRunner, Resources

FAKE_EMAIL = "jane.doe@example.com"


class Suffix:
    """Annotates: appends its own tag, and notes the text it was given."""

    def __init__(self, name: str, *, seen: list[tuple[str, str]]) -> None:
        self.name = name
        self._seen = seen

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        self._seen.append((self.name, text))
        return Decision(
            guardrail=self.name, action=Action.ANNOTATE, text=f"{text}+{self.name}", reason="tagged"
        )


class Verdict:
    """Always decides ``action``, rewriting the text to mark that it did."""

    def __init__(self, name: str, action: Action, *, seen: list[tuple[str, str]] | None = None) -> None:
        self.name = name
        self._action = action
        self._seen = seen if seen is not None else []

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        self._seen.append((self.name, text))
        return Decision(
            guardrail=self.name,
            action=self._action,
            text=f"{text}+{self.name}",
            reason=f"{self._action} by {self.name}",
            reason_code=ReasonCode.POLICY if self._action in (Action.ESCALATE, Action.BLOCK) else None,
        )


class Crashes:
    name = "crashes"

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        # Exception messages may quote customer input; the pipeline must not pass them on.
        raise RuntimeError(f"could not parse {FAKE_EMAIL}")


class Sleeps:
    name = "sleeps"

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        await asyncio.sleep(5)
        return allow(self.name, text)


def rail(guardrail: object, mode: Mode = Mode.ENFORCE, budget_s: float = 1.0) -> Rail:
    return Rail(guardrail=guardrail, mode=mode, budget_s=budget_s)  # type: ignore[arg-type]


def context(stage: Stage = Stage.INPUT, ai_turns_before: int = 0) -> TurnContext:
    return TurnContext(tenant_id="t", conversation_id="c", stage=stage, ai_turns_before=ai_turns_before)


async def run_input(*rails: Rail, on_error: OnError = OnError.REFUSE, text: str = "hi"):
    pipeline = Pipeline(stages={Stage.INPUT: list(rails)}, on_error=on_error)
    return await pipeline.run(Stage.INPUT, text, context())


async def test_rails_run_in_order_each_seeing_the_previous_text() -> None:
    seen: list[tuple[str, str]] = []

    result = await run_input(
        rail(Suffix("a", seen=seen)), rail(Suffix("b", seen=seen)), rail(Suffix("c", seen=seen))
    )

    assert seen == [("a", "hi"), ("b", "hi+a"), ("c", "hi+a+b")]
    assert result.text == "hi+a+b+c"
    assert [o.decision.guardrail for o in result.outcomes] == ["a", "b", "c"]
    assert result.verdict is None
    assert result.action is Action.ALLOW
    assert not result.failed


async def test_a_stage_without_rails_passes_the_text_through() -> None:
    pipeline = Pipeline(stages={}, on_error=OnError.REFUSE)

    result = await pipeline.run(Stage.OUTPUT, "hello", context(Stage.OUTPUT))

    assert (result.text, result.outcomes, result.verdict, result.failed) == ("hello", (), None, False)
    assert pipeline.names(Stage.OUTPUT) == []


async def test_monitor_mode_is_recorded_but_changes_nothing() -> None:
    seen: list[tuple[str, str]] = []

    result = await run_input(
        rail(Verdict("watcher", Action.BLOCK, seen=seen), mode=Mode.MONITOR),
        rail(Suffix("tagger", seen=seen), mode=Mode.MONITOR),
        rail(Suffix("after", seen=seen)),
    )

    assert seen == [("watcher", "hi"), ("tagger", "hi"), ("after", "hi")]
    assert result.text == "hi+after"
    assert result.verdict is None
    monitored = result.outcomes[0]
    assert monitored.decision.action is Action.BLOCK
    assert monitored.mode is Mode.MONITOR
    assert not monitored.enforced
    assert result.outcomes[2].enforced


@pytest.mark.parametrize(
    ("actions", "winner"),
    [
        pytest.param([Action.ESCALATE, Action.BLOCK], "g1", id="block-after-escalate-wins"),
        pytest.param([Action.BLOCK, Action.ESCALATE], "g0", id="block-before-escalate-wins"),
        pytest.param([Action.ESCALATE, Action.ESCALATE], "g0", id="first-of-equals-wins"),
        pytest.param([Action.ALLOW, Action.ESCALATE, Action.REDACT], "g1", id="escalate-among-milder"),
        pytest.param([Action.ANNOTATE, Action.REDACT, Action.ALLOW], None, id="no-verdict-without-stop"),
    ],
)
async def test_the_strongest_enforced_decision_is_the_verdict(
    actions: list[Action], winner: str | None
) -> None:
    result = await run_input(*(rail(Verdict(f"g{i}", action)) for i, action in enumerate(actions)))

    assert (result.verdict.guardrail if result.verdict else None) == winner
    assert len(result.outcomes) == len(actions)


async def test_every_rail_still_runs_after_an_escalation() -> None:
    seen: list[tuple[str, str]] = []

    result = await run_input(
        rail(Verdict("escalator", Action.ESCALATE, seen=seen)),
        rail(Verdict("redactor", Action.REDACT, seen=seen)),
    )

    assert [name for name, _ in seen] == ["escalator", "redactor"]
    assert result.action is Action.ESCALATE
    # The message handed to a person is still redacted before it is stored.
    assert result.text == "hi+escalator+redactor"
    assert not result.failed


@pytest.mark.parametrize(
    ("on_error", "action"),
    [
        pytest.param(OnError.REFUSE, Action.BLOCK, id="refuse"),
        pytest.param(OnError.HANDOFF, Action.ESCALATE, id="handoff"),
    ],
)
async def test_a_guardrail_that_raises_fails_the_stage_closed(on_error: OnError, action: Action) -> None:
    seen: list[tuple[str, str]] = []

    result = await run_input(
        rail(Suffix("before", seen=seen)),
        rail(Crashes()),
        rail(Suffix("after", seen=seen)),
        on_error=on_error,
        text=f"write to {FAKE_EMAIL}",
    )

    assert result.failed
    assert [name for name, _ in seen] == ["before"]
    assert result.verdict is not None
    assert result.verdict.action is action
    assert result.verdict.reason_code is ReasonCode.GUARDRAIL_ERROR
    assert result.verdict.guardrail == "crashes"
    failure = result.outcomes[-1]
    assert failure.failed and failure.decision is result.verdict
    assert "RuntimeError" in failure.decision.reason
    assert FAKE_EMAIL not in failure.decision.reason
    assert "could not parse" not in failure.decision.reason


async def test_a_monitored_guardrail_that_raises_is_recorded_and_changes_nothing() -> None:
    result = await run_input(rail(Crashes(), mode=Mode.MONITOR), rail(Verdict("redacts", Action.REDACT)))

    assert not result.failed
    assert result.action is Action.ALLOW
    crashed, redacted = result.outcomes
    assert crashed.failed and crashed.mode is Mode.MONITOR
    assert crashed.decision.reason_code is ReasonCode.GUARDRAIL_ERROR
    assert redacted.decision.action is Action.REDACT  # the stage went on


async def test_a_guardrail_over_its_budget_fails_the_stage() -> None:
    result = await run_input(rail(Sleeps(), budget_s=0.02), on_error=OnError.HANDOFF)

    assert result.failed
    assert result.action is Action.ESCALATE
    assert result.verdict is not None
    assert result.verdict.reason_code is ReasonCode.GUARDRAIL_ERROR
    assert "timed out" in result.verdict.reason
    assert result.outcomes[0].latency_ms < 1000


@pytest.fixture
def resources() -> Iterator[Resources]:
    cpu = CpuRunner(max_workers=1)
    yield Resources(cpu=cpu, hmac_key=b"k" * 32)
    cpu.close()


@pytest.fixture(scope="module")
def pii_engine() -> PiiEngine:
    engine = build_pii_engine()
    engine.warm_up()
    return engine


def default_policy() -> Policy:
    return parse_policy(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


async def test_from_policy_builds_the_default_policy(resources: Resources, pii_engine: PiiEngine) -> None:
    policy = default_policy()
    resources.engines[PII_ENGINE] = pii_engine

    pipeline = Pipeline.from_policy(policy, resources=resources)

    assert pipeline.names(Stage.INPUT) == [rail.guardrail for rail in policy.input]
    assert pipeline.names(Stage.OUTPUT) == [rail.guardrail for rail in policy.output]
    first = await pipeline.run(Stage.OUTPUT, "Your order ships today.", context(Stage.OUTPUT))
    assert not first.failed
    assert first.text.endswith("Your order ships today.")
    assert first.text != "Your order ships today."
    later = await pipeline.run(Stage.OUTPUT, "Anything else?", context(Stage.OUTPUT, ai_turns_before=1))
    assert later.text == "Anything else?"


def test_from_policy_fails_at_build_time_when_an_engine_is_missing(resources: Resources) -> None:
    # A guardrail that needs a shared engine must fail at start-up, not on a customer's turn.
    with pytest.raises(LookupError):
        Pipeline.from_policy(default_policy(), resources=resources)


async def test_from_policy_uses_rail_budgets_and_modes(resources: Resources) -> None:
    policy = parse_policy(
        "default_budget_ms: 250\n"
        "on_guardrail_error: handoff\n"
        "output:\n"
        "  - guardrail: disclosure\n"
        "    mode: monitor\n"
    )

    pipeline = Pipeline.from_policy(policy, resources=resources)
    result = await pipeline.run(Stage.OUTPUT, "Hello.", context(Stage.OUTPUT))

    assert result.text == "Hello."
    assert result.outcomes[0].mode is Mode.MONITOR
    assert result.outcomes[0].decision.action is Action.ANNOTATE
