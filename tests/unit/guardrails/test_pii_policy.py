import re

import pytest

from guardrails.pii_engine import Span
from guardrails.pii_policy import decrypt_value, encrypt_value, keyed_hash, mask, select_spans


def _spans(*items: tuple[str, int, int, float]) -> list[Span]:
    return [Span(t, s, e, score, "test") for t, s, e, score in items]


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        pytest.param(_spans(("PERSON", 0, 5, 0.4)), [], id="below-threshold"),
        pytest.param(_spans(("US_SSN", 0, 5, 0.9)), [], id="entity-not-enabled"),
        pytest.param(
            _spans(("LOCATION", 10, 16, 0.85), ("STREET_ADDRESS", 0, 20, 0.65)),
            [("STREET_ADDRESS", 0, 20)],
            id="longest-wins",
        ),
    ],
)
def test_select_spans(spans: list[Span], expected: list[tuple[str, int, int]]) -> None:
    chosen = select_spans(
        "x" * 30, spans, entities=frozenset({"PERSON", "LOCATION", "STREET_ADDRESS"}), threshold=0.5
    )
    assert [(s.entity_type, s.start, s.end) for s in chosen] == expected


def test_allow_list_beats_detection_and_deny_list_adds() -> None:
    text = "ACME-123 and secret"
    chosen = select_spans(
        text,
        _spans(("PHONE_NUMBER", 0, 8, 0.9)),
        entities=frozenset({"PHONE_NUMBER", "DENY_LIST"}),
        threshold=0.5,
        allow=[re.compile(r"ACME-\d+")],
        deny=[re.compile("secret")],
    )
    assert [(s.entity_type, s.start) for s in chosen] == [("DENY_LIST", 13)]


def test_protected_ranges_are_untouched() -> None:
    chosen = select_spans(
        "<PERSON_1>",
        _spans(("PERSON", 1, 9, 0.9)),
        entities=frozenset({"PERSON"}),
        threshold=0.5,
        protected=[(0, 10)],
    )
    assert chosen == []


@pytest.mark.parametrize(
    ("value", "masked"),
    [pytest.param("4111111111111111", "************1111", id="card"), pytest.param("abc", "***", id="short")],
)
def test_mask(value: str, masked: str) -> None:
    assert mask(value) == masked


def test_hash_is_keyed_and_stable() -> None:
    assert keyed_hash("X", "v", key=b"a") == keyed_hash("X", "v", key=b"a") != keyed_hash("X", "v", key=b"b")


def test_encrypt_round_trip_and_type_binding() -> None:
    sealed = encrypt_value("US_SSN", "536-22-1234", hmac_key=b"k")
    assert decrypt_value(sealed, hmac_key=b"k") == "536-22-1234"
    with pytest.raises(Exception):
        decrypt_value(sealed.replace("US_SSN", "PERSON"), hmac_key=b"k")
