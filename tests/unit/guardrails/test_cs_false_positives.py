import pytest
from presidio_analyzer import RecognizerResult

from guardrails.pii_engine import PiiEngine
from guardrails.recognizers.cs_false_positives import is_false_positive


def _result(text: str, value: str, entity: str) -> RecognizerResult:
    start = text.index(value)
    return RecognizerResult(entity, start, start + len(value), 0.9)


@pytest.mark.parametrize(
    ("text", "value", "entity", "dropped"),
    [
        pytest.param("order number 5551234567", "5551234567", "PHONE_NUMBER", True, id="order-cue"),
        pytest.param("tracking 4539148803436467", "4539148803436467", "CREDIT_CARD", True, id="tracking-cue"),
        pytest.param("ref ORD-5551234567", "5551234567", "PHONE_NUMBER", True, id="glued-to-id"),
        pytest.param("it was #4155550134", "4155550134", "PHONE_NUMBER", True, id="hash-prefix"),
        pytest.param("firmware version 10.2.0.1", "10.2.0.1", "IP_ADDRESS", True, id="firmware"),
        pytest.param("at 2024-03-05 14", "2024-03-05 14", "PHONE_NUMBER", True, id="timestamp"),
        pytest.param("ssn 536-22-1234", "536-22-1234", "PHONE_NUMBER", True, id="ssn-shape-not-phone"),
        pytest.param("Do you ship to Canada", "Canada", "LOCATION", True, id="country"),
        pytest.param("the Galaxy S23", "Galaxy S23", "PERSON", True, id="product-name"),
        pytest.param(
            "order 123, my phone 4155550134", "4155550134", "PHONE_NUMBER", False, id="nearest-cue-pii"
        ),
        pytest.param("call me on 4155550134", "4155550134", "PHONE_NUMBER", False, id="phone"),
        pytest.param("I live in Leeds", "Leeds", "LOCATION", False, id="city"),
    ],
)
def test_is_false_positive(text: str, value: str, entity: str, dropped: bool) -> None:
    assert is_false_positive(text, _result(text, value, entity)) is dropped


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Where is order #4539148803436467?", id="luhn-order"),
        pytest.param("tracking 1Z999AA10123456784 and 9400 1000 0000 0000 0000 00", id="tracking-numbers"),
        pytest.param("I paid $1,299.99 for 2 x SKU-88321-BLK at 14:30:22", id="price-sku-time"),
        pytest.param("model SM-G991B, invoice INV-20240305", id="model-invoice"),
    ],
)
def test_engine_reports_nothing_for_routine_values(pii_engine: PiiEngine, text: str) -> None:
    assert [s.entity_type for s in pii_engine.analyze_sync(text) if s.score >= 0.5] == []
