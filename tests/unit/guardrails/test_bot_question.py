"""bot_question: "am I talking to a bot?" is answered by Candor, truthfully, with the offer of a person."""

from __future__ import annotations

import pytest

from guardrails.base import Action, Mode, ReasonCode, Stage, TurnContext
from guardrails.bot_question import DEFAULT_ANSWER, BotQuestionGuardrail, BotQuestionParams
from guardrails.human_request import HumanRequestGuardrail, HumanRequestParams
from guardrails.pipeline import Pipeline, Rail
from guardrails.policy import OnError
from guardrails.resources import Resources

CTX = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT)


@pytest.fixture
def resources(light_resources: Resources) -> Resources:
    return light_resources


def rail(resources: Resources) -> BotQuestionGuardrail:
    return BotQuestionGuardrail(params=BotQuestionParams(), resources=resources)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("am I talking to a bot?", id="talking-to-a-bot"),
        pytest.param("are you a real person?", id="real-person"),
        pytest.param("Are you human?", id="are-you-human"),
        pytest.param("r u a bot", id="texting-style"),
        pytest.param("hey bot?", id="one-word"),
        pytest.param("is this automated?", id="automated"),
        pytest.param("Wait, is this an automated chat?", id="automated-chat"),
        pytest.param("who am I talking to?", id="who-am-i-talking-to"),
        pytest.param("human or bot?", id="human-or-bot"),
        pytest.param("You're a bot aren't you", id="tag-question"),
        pytest.param("is anyone real reading this", id="anyone-real"),
    ],
)
async def test_bot_questions_are_answered_by_candor(resources: Resources, text: str) -> None:
    decision = await rail(resources).check(text, CTX)

    assert decision.action is Action.ANNOTATE
    assert decision.text == text  # nothing hidden or rewritten
    assert decision.reply == DEFAULT_ANSWER
    assert decision.reason_code is ReasonCode.POLICY
    assert decision.annotations == {"answer_directly": True, "kind": "bot_question"}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("are you open tomorrow?", id="opening-hours"),
        pytest.param("is this real leather?", id="real-leather"),
        pytest.param("is the robot vacuum waterproof?", id="robot-vacuum"),
        pytest.param("is this human grade food?", id="human-grade"),
        pytest.param("I'm not a robot, the captcha fails", id="captcha"),
        pytest.param("Is the AI feature in the app free?", id="ai-feature"),
        pytest.param("are you able to ship to Canada?", id="are-you-able"),
    ],
)
async def test_other_questions_pass(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


def test_the_default_answer_is_truthful_and_offers_a_person() -> None:
    assert "AI" in DEFAULT_ANSWER and "not a person" in DEFAULT_ANSWER
    assert "connect you" in DEFAULT_ANSWER


async def test_a_request_for_a_person_in_the_same_message_wins(resources: Resources) -> None:
    rails = [
        Rail(HumanRequestGuardrail(params=HumanRequestParams(), resources=resources), Mode.ENFORCE, 1.0),
        Rail(rail(resources), Mode.ENFORCE, 1.0),
    ]
    pipeline = Pipeline(stages={Stage.INPUT: rails}, on_error=OnError.REFUSE)

    result = await pipeline.run(Stage.INPUT, "are you a bot? I want a human", CTX)

    assert result.verdict is not None
    assert result.verdict.action is Action.ESCALATE
    assert result.verdict.reason_code is ReasonCode.CUSTOMER_REQUEST
    assert [o.decision.action for o in result.outcomes] == [Action.ESCALATE, Action.ANNOTATE]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("am i chatting to a bot atm", id="atm"),
        pytest.param("am i talking to a bot rn", id="rn"),
        pytest.param("r u a real human being", id="human-being"),
        pytest.param("is this a person or an ai tho", id="tho"),
        pytest.param("are u a real agent or not", id="real-agent-or-not"),
    ],
)
async def test_v7_phone_typed_bot_questions_are_answered(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ANNOTATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("are you an agent for the brand?", id="agent-for-brand"),
        pytest.param("are you open now", id="open-now"),
        pytest.param("is this real leather or not", id="leather-or-not"),
    ],
)
async def test_v7_look_alikes_pass(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW
