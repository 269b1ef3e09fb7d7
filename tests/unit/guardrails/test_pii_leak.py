import pytest

from guardrails.base import Action, Stage
from guardrails.pii_leak import PiiLeakGuardrail, PiiLeakParams
from guardrails.pii_tokens import PiiTokens
from guardrails.resources import Resources

from .conftest import make_ctx


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param("Reach Sam at sam@corp.example.com", "Reach Sam at [EMAIL_ADDRESS]", id="foreign-email"),
        pytest.param("His number is (415) 555-0199.", "His number is [PHONE_NUMBER].", id="foreign-phone"),
        pytest.param("Card 4111 1111 1111 1111 on file", "Card [CREDIT_CARD] on file", id="foreign-card"),
    ],
)
@pytest.mark.asyncio
async def test_redacts_pii_the_customer_never_gave(resources: Resources, reply: str, expected: str) -> None:
    guard = PiiLeakGuardrail(params=PiiLeakParams(), resources=resources)
    decision = await guard.check(reply, make_ctx(PiiTokens(), stage=Stage.OUTPUT))
    assert decision.action == Action.REDACT
    assert decision.text == expected


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param("Thanks <PERSON_1>, we emailed <EMAIL_ADDRESS_1>.", id="tokens"),
        pytest.param("We will call you on 415-555-0134.", id="customer-own-phone"),
        pytest.param("Your order 4539148803436467 ships on 2024-05-03.", id="order-and-date"),
        pytest.param("Call us on 0800 123 4567 any time.", id="tenant-allow-list"),
        pytest.param("I'm Ava, the Acme assistant.", id="bot-persona"),
    ],
)
@pytest.mark.asyncio
async def test_leaves_tokens_and_known_values(resources: Resources, reply: str) -> None:
    tokens = PiiTokens([("<PHONE_NUMBER_1>", "PHONE_NUMBER", "(415) 555-0134")])
    params = PiiLeakParams(allow_list=(r"0800 123 4567",))
    decision = await PiiLeakGuardrail(params=params, resources=resources).check(
        reply, make_ctx(tokens, stage=Stage.OUTPUT)
    )
    assert decision.action == Action.ALLOW
    assert decision.text == reply


@pytest.mark.asyncio
async def test_placeholder_is_never_restored(resources: Resources) -> None:
    tokens = PiiTokens([("<EMAIL_ADDRESS_1>", "EMAIL_ADDRESS", "me@example.com")])
    guard = PiiLeakGuardrail(params=PiiLeakParams(), resources=resources)
    decision = await guard.check("Other user: x@corp.example.com", make_ctx(tokens, stage=Stage.OUTPUT))
    assert tokens.restore(decision.text) == "Other user: [EMAIL_ADDRESS]"
