"""The ``ai_consent`` input guardrail: opting out of (and back into) the AI in the chat."""

from __future__ import annotations

import pytest

from guardrails.ai_consent import OPT_IN, OPT_OUT, AiConsentGuardrail, AiConsentParams, normalise
from guardrails.base import Action, ReasonCode, Stage, TurnContext
from guardrails.resources import Resources

CTX = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT)


@pytest.fixture
def resources(light_resources: Resources) -> Resources:
    return light_resources


def guardrail(resources: Resources, **params: object) -> AiConsentGuardrail:
    return AiConsentGuardrail(params=AiConsentParams.model_validate(params), resources=resources)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("stop the AI", OPT_OUT, id="stop-the-ai"),
        pytest.param("Stop the A.I. please", OPT_OUT, id="stop-the-a.i."),
        pytest.param("no bots please", OPT_OUT, id="no-bots-please"),
        pytest.param("No AI.", OPT_OUT, id="no-ai"),
        pytest.param("I don't want to talk to a bot", OPT_OUT, id="dont-want-bot"),
        pytest.param("I do not want to speak with an AI, thanks", OPT_OUT, id="do-not-want-ai"),
        pytest.param("opt out of AI", OPT_OUT, id="opt-out-of-ai"),
        pytest.param("I'd like to opt-out of the chatbot", OPT_OUT, id="opt-out-chatbot"),
        pytest.param("please turn off the bot", OPT_OUT, id="turn-off-bot"),
        pytest.param("switch the AI off", OPT_OUT, id="switch-off"),
        pytest.param("I don't consent to AI", OPT_OUT, id="dont-consent"),
        pytest.param("I refuse to talk to a machine", OPT_OUT, id="refuse-machine"),
        pytest.param("I'd rather not chat with a robot", OPT_OUT, id="rather-not"),
        pytest.param("hi. no more bots", OPT_OUT, id="no-more-bots"),
        pytest.param("No quiero hablar con un bot", OPT_OUT, id="es"),
        pytest.param("Je ne veux pas parler à un robot", OPT_OUT, id="fr"),
        pytest.param("Ich möchte nicht mit einem Bot sprechen", OPT_OUT, id="de"),
        pytest.param("Keine KI bitte", OPT_OUT, id="de-keine-ki"),
        pytest.param("I'm happy to use the assistant again", OPT_IN, id="happy-again"),
        pytest.param("opt in to AI", OPT_IN, id="opt-in"),
        pytest.param("ok, I'd like to opt back in", OPT_IN, id="opt-back-in"),
        pytest.param("I consent to the use of AI", OPT_IN, id="consent"),
        pytest.param("turn the bot back on", OPT_IN, id="turn-on"),
        pytest.param("I'm fine with the bot", OPT_IN, id="fine-with-bot"),
        pytest.param("let me talk to the AI again", OPT_IN, id="talk-again"),
        pytest.param("Acepto hablar con el asistente", OPT_IN, id="es-in"),
        pytest.param("J'accepte l'IA", OPT_IN, id="fr-in"),
        pytest.param("Ich bin mit der KI einverstanden", OPT_IN, id="de-in"),
        # Both in one message: the opt-out wins.
        pytest.param("I'm happy to use the assistant. Actually no, stop the AI", OPT_OUT, id="both"),
        # Not about consent to AI.
        pytest.param("Where is my order?", None, id="order"),
        pytest.param("I don't want a robot vacuum, I want a refund", None, id="robot-vacuum"),
        pytest.param("The AI stopped working on my phone", None, id="ai-stopped"),
        pytest.param("Don't stop the AI, it is helpful", None, id="dont-stop"),
        pytest.param("stop the bot from emailing me", None, id="stop-from"),
        pytest.param("I'm not happy with the bot", None, id="not-happy"),
        pytest.param("I agree to the terms", None, id="terms"),
        pytest.param("I'm happy with the service", None, id="happy-service"),
        pytest.param("Can I speak to the assistant manager?", None, id="assistant-manager"),
        pytest.param("Is there no AI on this site?", None, id="question-no-ai"),
        pytest.param("I want to opt out of marketing emails", None, id="marketing"),
    ],
)
async def test_what_the_customer_says_about_ai(text: str, expected: str | None, resources: Resources) -> None:
    rail = guardrail(resources)
    assert rail.choice(text) == expected
    decision = await rail.check(text, CTX)
    assert decision.text == text
    assert decision.annotations.get("consent") == expected
    if expected == OPT_OUT:
        assert decision.action is Action.ESCALATE
        assert decision.reason_code is ReasonCode.CUSTOMER_REQUEST
        assert decision.annotations["severity"] == "normal"
    elif expected == OPT_IN:
        assert decision.action is Action.ANNOTATE
    else:
        assert decision.action is Action.ALLOW


def test_tenant_phrases_are_added(resources: Resources) -> None:
    rail = guardrail(resources, extra_opt_out=[r"\bno ava\b"], extra_opt_in=[r"\bava is fine\b"])
    assert rail.choice("No Ava!") == OPT_OUT
    assert rail.choice("Ava is fine") == OPT_IN


def test_a_bad_tenant_pattern_fails_when_the_policy_is_loaded() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        AiConsentParams.model_validate({"extra_opt_out": ["(unclosed"]})


def test_normalise_folds_case_accents_and_dots() -> None:
    assert normalise("Ich MÖCHTE keine K.I.!") == "ich mochte keine ki"
    assert normalise("Stop the A.I. now") == "stop the ai now"
