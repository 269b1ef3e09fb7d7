"""sensitive_topic: lexicons as data, matched through inflection and word order, per topic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from guardrails.base import Action, ReasonCode, Stage, TurnContext
from guardrails.lexicon import LEXICON_DIR, available_topics, load_topic
from guardrails.resources import CpuRunner, Resources
from guardrails.sensitive_topic import (
    CRISIS_REPLY,
    EMERGENCY_REPLY,
    SensitiveTopicGuardrail,
    SensitiveTopicParams,
)

CTX = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT)


@pytest.fixture
def resources() -> Iterator[Resources]:
    cpu = CpuRunner(max_workers=1)
    yield Resources(cpu=cpu)
    cpu.close()


@pytest.fixture
def rail(resources: Resources) -> SensitiveTopicGuardrail:
    return SensitiveTopicGuardrail(params=SensitiveTopicParams(), resources=resources)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        pytest.param("I want to kill myself", "self_harm", id="self-harm"),
        pytest.param("I've been thinking about ending my life", "self_harm", id="self-harm-inflected"),
        pytest.param("my life, I want to end it", "self_harm", id="self-harm-word-order"),
        pytest.param("I'm not sure I want to live anymore", "self_harm", id="self-harm-negation-ignored"),
        pytest.param("he's not breathing, call an ambulance", "medical_emergency", id="medical"),
        pytest.param("my son swallowed a battery", "medical_emergency", id="swallowed-battery"),
        pytest.param("I will sue you", "legal_threat", id="legal"),
        pytest.param("my mom died last week, please close her account", "bereavement", id="bereavement"),
        pytest.param("I can't afford the payment this month", "financial_hardship", id="hardship"),
        pytest.param("I'm disabled and can't carry the box", "vulnerability", id="vulnerability"),
        pytest.param("I didn't make this purchase", "fraud", id="fraud-negation-is-the-report"),
        pytest.param("Someone hacked my account", "fraud", id="account-takeover"),
        pytest.param("my ex keeps harassing me", "harassment", id="harassment"),
    ],
)
async def test_topics_escalate(rail: SensitiveTopicGuardrail, text: str, topic: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert decision.annotations["topics"][0] == topic
    assert text not in decision.reason


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("this hold music is killing me", id="hyperbole"),
        pytest.param("I want to end my life insurance policy", id="life-insurance"),
        pytest.param("my mom's phone died", id="phone-died"),
        pytest.param("My battery died during checkout", id="battery-died"),
        pytest.param("I'm not going to sue you, I just want my money", id="negated-legal"),
        pytest.param("no one is hurt, the box was just dented", id="negated-medical"),
        pytest.param("it's not that I can't afford it", id="negated-hardship"),
        pytest.param("can someone change my password?", id="password-help"),
        pytest.param("Sue from your team was very helpful", id="name-sue"),
        pytest.param("Do you offer fraud protection?", id="fraud-protection-question"),
        pytest.param("my son passed his driving test", id="passed-test"),
        pytest.param("my website is not responding", id="site-not-responding"),
    ],
)
async def test_hard_negatives_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


async def test_self_harm_gets_crisis_resources_at_once_and_an_urgent_handoff(
    rail: SensitiveTopicGuardrail,
) -> None:
    decision = await rail.check("I don't want to live anymore", CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert decision.annotations["severity"] == "urgent"
    assert decision.reply == CRISIS_REPLY
    assert "local emergency number" in CRISIS_REPLY


async def test_a_medical_emergency_says_call_the_emergency_number(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("my husband is having a heart attack", CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert decision.reply == EMERGENCY_REPLY


async def test_the_most_severe_topic_decides(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("I lost my job and I want to kill myself", CTX)

    assert decision.annotations["topics"] == ["self_harm", "financial_hardship"]
    assert decision.reason_code is ReasonCode.CRISIS


async def test_non_crisis_topics_have_no_canned_reply(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("I'll take you to court", CTX)

    assert decision.reason_code is ReasonCode.SENSITIVE_TOPIC
    assert decision.reply is None
    assert decision.annotations["severity"] == "high"


async def test_tenant_params_choose_topics_severity_phrases_and_replies(resources: Resources) -> None:
    params = SensitiveTopicParams(
        topics=("self_harm", "legal_threat"),
        severity={"legal_threat": "urgent"},
        extra_phrases={"legal_threat": ("chargeback",)},
        crisis_reply="Please call 988 or your local emergency number right now.",
    )
    rail = SensitiveTopicGuardrail(params=params, resources=resources)

    assert (await rail.check("I'll do a chargeback", CTX)).annotations["severity"] == "urgent"
    assert (await rail.check("my card was stolen", CTX)).action is Action.ALLOW  # fraud not enabled
    assert (await rail.check("I want to die", CTX)).reply == params.crisis_reply


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"topics": ["astrology"]}, id="unknown-topic"),
        pytest.param({"topics": ["fraud"], "severity": {"legal_threat": "high"}}, id="override-for-disabled"),
        pytest.param({"severity": {"fraud": "critical"}}, id="unknown-severity"),
        pytest.param({"extra_phrases": {"fraud": ["  "]}}, id="empty-rule"),
    ],
)
def test_bad_params_fail_the_policy(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SensitiveTopicParams.model_validate(params)


@pytest.mark.parametrize("topic", available_topics())
def test_every_lexicon_file_loads(topic: str) -> None:
    loaded = load_topic(LEXICON_DIR / f"{topic}.yaml")
    assert loaded.spec.topic == topic
