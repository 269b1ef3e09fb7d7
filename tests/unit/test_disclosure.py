"""The disclosure guardrail, turn by turn: who is told that they talk to an AI, and when."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from guardrails.base import Action, Stage, TurnContext
from guardrails.disclosure import DEFAULT_TEXT, DisclosureGuardrail, DisclosureParams
from guardrails.resources import CpuRunner, Resources

REPLY = "Your parcel left our warehouse this morning."


@pytest.fixture
def resources() -> Iterator[Resources]:
    cpu = CpuRunner(max_workers=1)
    yield Resources(cpu=cpu)
    cpu.close()


def disclosure(resources: Resources, **params: object) -> DisclosureGuardrail:
    return DisclosureGuardrail(params=DisclosureParams.model_validate(params), resources=resources)


def turn(ai_turns_before: int = 0, segment: int = 0) -> TurnContext:
    return TurnContext(
        tenant_id="t",
        conversation_id="c",
        stage=Stage.OUTPUT,
        ai_turns_before=ai_turns_before,
        segment=segment,
    )


async def test_the_first_ai_turn_is_prefixed_with_the_disclosure(resources: Resources) -> None:
    decision = await disclosure(resources).check(REPLY, turn())

    assert decision.action is Action.ANNOTATE
    assert decision.guardrail == "disclosure"
    assert decision.text == f"{DEFAULT_TEXT}\n\n{REPLY}"
    assert decision.annotations["disclosure"] == DEFAULT_TEXT
    assert len(decision.annotations["disclosure_version"]) == 12
    assert "first AI turn" in decision.reason


@pytest.mark.parametrize(
    "ai_turns_before", [pytest.param(1, id="second-turn"), pytest.param(7, id="eighth-turn")]
)
async def test_later_turns_are_left_alone(resources: Resources, ai_turns_before: int) -> None:
    decision = await disclosure(resources).check(REPLY, turn(ai_turns_before))

    assert decision.action is Action.ALLOW
    assert decision.text == REPLY
    # Not shown again; still named for the X-AI-Disclosure header of every AI reply.
    assert "disclosure" not in decision.annotations
    assert decision.annotations["disclosure_notice"] == DEFAULT_TEXT


@pytest.mark.parametrize(
    "ai_turns_before", [pytest.param(0, id="first-turn"), pytest.param(3, id="fourth-turn")]
)
async def test_every_turn_discloses_always(resources: Resources, ai_turns_before: int) -> None:
    decision = await disclosure(resources, every_turn=True).check(REPLY, turn(ai_turns_before))

    assert decision.action is Action.ANNOTATE
    assert decision.text.startswith(DEFAULT_TEXT)
    assert decision.text.endswith(REPLY)


@pytest.mark.parametrize(
    ("every_turn", "ai_turns_before"),
    [
        pytest.param(False, 0, id="first-turn"),
        pytest.param(True, 0, id="every-turn-first"),
        pytest.param(True, 2, id="every-turn-later"),
    ],
)
async def test_later_segments_of_a_stream_are_never_annotated(
    resources: Resources, every_turn: bool, ai_turns_before: int
) -> None:
    guardrail = disclosure(resources, every_turn=every_turn)

    decision = await guardrail.check("and the rest of it.", turn(ai_turns_before, segment=1))

    assert decision.action is Action.ALLOW
    assert decision.text == "and the rest of it."


async def test_custom_text_is_used_and_trimmed(resources: Resources) -> None:
    decision = await disclosure(resources, text="  Hi! I'm Candor's AI helper.  ").check(REPLY, turn())

    assert decision.text == f"Hi! I'm Candor's AI helper.\n\n{REPLY}"
    assert decision.annotations["disclosure"] == "Hi! I'm Candor's AI helper."


async def test_the_version_follows_the_text(resources: Resources) -> None:
    async def version(**params: object) -> str:
        decision = await disclosure(resources, **params).check(REPLY, turn())
        return str(decision.annotations["disclosure_version"])

    default = await version()
    assert await version() == default
    assert await version(every_turn=True) == default
    assert await version(text="You are talking to an automated assistant.") != default
    assert await version(text=f"  {DEFAULT_TEXT}  ") == default
