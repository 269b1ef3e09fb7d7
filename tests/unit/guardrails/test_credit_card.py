import pytest

from guardrails.recognizers.credit_card import CsCreditCardRecognizer

RECOGNIZER = CsCreditCardRecognizer()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("visa 4111 1111 1111 1111", True, id="visa-grouped"),
        pytest.param("mc 2223003122003222", True, id="mastercard-2-series"),
        pytest.param("amex 378282246310005", True, id="amex"),
        pytest.param("card 4111 1111 1111 1112", False, id="fails-luhn"),
        pytest.param("call 2223 0031 2200 3223", False, id="2-series-fails-luhn"),
    ],
)
def test_cards_are_luhn_checked(text: str, found: bool) -> None:
    results = [r for r in RECOGNIZER.analyze(text, ["CREDIT_CARD"]) if r.score >= 0.5]
    assert bool(results) is found
