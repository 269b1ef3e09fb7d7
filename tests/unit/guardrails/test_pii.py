import asyncio

import pytest
from pydantic import ValidationError

from guardrails.base import Action
from guardrails.pii import PiiGuardrail, PiiParams
from guardrails.pii_policy import decrypt_value
from guardrails.pii_tokens import PiiTokens
from guardrails.resources import CpuRunner, Resources

from .conftest import make_ctx


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Hi, my name is Maria Gonzalez.", "Hi, my name is <PERSON_1>.", id="person"),
        pytest.param("mail me: jo.lee@example.org", "mail me: <EMAIL_ADDRESS_1>", id="email"),
        pytest.param("call me on (415) 555-0134", "call me on <PHONE_NUMBER_1>", id="phone"),
        pytest.param("card 4111 1111 1111 1111 please", "card <CREDIT_CARD_1> please", id="card"),
        pytest.param("IBAN GB82 WEST 1234 5698 7654 32", "IBAN <IBAN_CODE_1>", id="iban"),
        pytest.param(
            "ship to 221B Baker Street, London NW1 6XE", "ship to <STREET_ADDRESS_1>", id="uk-address"
        ),
        pytest.param("maria at gmail dot com", "<EMAIL_ADDRESS_1>", id="spelled-email"),
        pytest.param("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "<CREDIT_CARD_1>", id="spaced-card"),
    ],
)
@pytest.mark.asyncio
async def test_redacts_to_tokens(resources: Resources, text: str, expected: str) -> None:
    decision = await PiiGuardrail(params=PiiParams(), resources=resources).check(text, make_ctx())
    assert decision.action == Action.REDACT
    assert decision.text == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Where is order #4539148803436467?", id="luhn-order-number"),
        pytest.param("order number 5551234567 not here", id="phone-like-order"),
        pytest.param("tracking 1Z999AA10123456784, shipped 2024-03-05 14:30", id="tracking-and-timestamp"),
        pytest.param("I paid $1,299.99 for 2 x SKU-88321-BLK", id="price-sku"),
        pytest.param("the WH-1000XM5 arrived on March 5, 2024", id="model-and-date"),
        pytest.param("Do you ship to Canada?", id="country"),
    ],
)
@pytest.mark.asyncio
async def test_customer_service_values_pass(resources: Resources, text: str) -> None:
    decision = await PiiGuardrail(params=PiiParams(), resources=resources).check(text, make_ctx())
    assert decision.action == Action.ALLOW
    assert decision.text == text


@pytest.mark.asyncio
async def test_tokens_stable_across_turns_and_roles(resources: Resources) -> None:
    guard = PiiGuardrail(params=PiiParams(), resources=resources)
    tokens = PiiTokens()
    ctx = make_ctx(tokens)
    first = await guard.check("Hi, I'm Maria Gonzalez, email maria@example.com", ctx)
    # The assistant's earlier reply, resent by the client with values restored:
    echoed = await guard.check("Thanks Maria Gonzalez, we wrote to maria@example.com", ctx)
    later = await guard.check("yes maria here again", ctx)
    assert first.text == "Hi, I'm <PERSON_1>, email <EMAIL_ADDRESS_1>"
    assert echoed.text == "Thanks <PERSON_1>, we wrote to <EMAIL_ADDRESS_1>"
    assert later.text == "yes <PERSON_1> here again"
    assert {e[0] for e in tokens.new_entries()} == {"<PERSON_1>", "<EMAIL_ADDRESS_1>"}


@pytest.mark.asyncio
async def test_allow_and_deny_lists(resources: Resources) -> None:
    params = PiiParams(allow_list=(r"\bACME-\d{10}\b",), deny_list=(r"\bproject bluebird\b",))
    decision = await PiiGuardrail(params=params, resources=resources).check(
        "ref ACME-4155550134 about Project Bluebird", make_ctx()
    )
    assert decision.text == "ref ACME-4155550134 about <DENY_LIST_1>"


@pytest.mark.asyncio
async def test_operators(resources: Resources) -> None:
    params = PiiParams(operators={"CREDIT_CARD": "mask", "EMAIL_ADDRESS": "hash", "PHONE_NUMBER": "encrypt"})
    decision = await PiiGuardrail(params=params, resources=resources).check(
        "card 4111111111111111 mail a.b@example.com tel (415) 555-0134", make_ctx()
    )
    text = decision.text
    assert "************1111" in text
    assert "[EMAIL_ADDRESS:hash:" in text and "a.b@example.com" not in text
    sealed = text[text.index("[PHONE_NUMBER:enc:") :]
    assert decrypt_value(sealed, hmac_key=resources.hmac_key) == "(415) 555-0134"


@pytest.mark.asyncio
async def test_block_operator_blocks_without_leaking(resources: Resources) -> None:
    params = PiiParams(operators={"CREDIT_CARD": "block"})
    decision = await PiiGuardrail(params=params, resources=resources).check(
        "my card is 4111 1111 1111 1111", make_ctx()
    )
    assert decision.action == Action.BLOCK
    assert "4111" not in decision.text and "4111" not in decision.reason
    assert decision.findings[0].entity_type == "CREDIT_CARD"


@pytest.mark.asyncio
async def test_findings_and_reason_hold_no_values(resources: Resources) -> None:
    decision = await PiiGuardrail(params=PiiParams(), resources=resources).check(
        "I'm Ann Lee, ann.lee@example.com", make_ctx()
    )
    assert "Ann" not in decision.reason and "example" not in decision.reason
    assert all(not hasattr(f, "value") for f in decision.findings)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"entities": ["NOT_A_THING"]}, id="unknown-entity"),
        pytest.param({"allow_list": ["(unclosed"]}, id="bad-regex"),
        pytest.param({"operators": {"US_SSN": "shred"}}, id="unknown-operator"),
        pytest.param({"entities": ["PERSON"], "operators": {"US_SSN": "mask"}}, id="operator-for-disabled"),
        pytest.param({"surprise": 1}, id="unknown-key"),
    ],
)
def test_bad_policy_fails_at_start_up(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PiiParams.model_validate(params)


def test_missing_engine_fails_at_construction() -> None:
    cpu = CpuRunner(max_workers=1)
    with pytest.raises(LookupError):
        PiiGuardrail(params=PiiParams(), resources=Resources(cpu=cpu))
    cpu.close()


def test_hash_without_key_fails_at_construction(resources: Resources) -> None:
    bare = Resources(cpu=resources.cpu, engines=resources.engines)
    with pytest.raises(ValueError):
        PiiGuardrail(params=PiiParams(operators={"US_SSN": "hash"}), resources=bare)


@pytest.mark.asyncio
async def test_analyzer_error_propagates(resources: Resources, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = resources.engines["pii_analyzer"]

    def boom(texts: object) -> object:
        raise RuntimeError("analyzer down")

    monkeypatch.setattr(engine._batcher, "_process", boom)
    with pytest.raises(RuntimeError):
        await PiiGuardrail(params=PiiParams(), resources=resources).check("never seen text 81723", make_ctx())


@pytest.mark.asyncio
async def test_budget_exceeded_raises(resources: Resources, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = resources.engines["pii_analyzer"]

    async def slow(text: str, *, cpu: object) -> object:
        await asyncio.sleep(1)
        return ()

    monkeypatch.setattr(engine, "analyze", slow)
    with pytest.raises(TimeoutError):
        await PiiGuardrail(params=PiiParams(budget_ms=10), resources=resources).check("hello", make_ctx())
