import pytest

from guardrails.recognizers.phone import CsPhoneRecognizer

RECOGNIZER = CsPhoneRecognizer()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("call (415) 555-0134", ["(415) 555-0134"], id="us"),
        pytest.param("ring +44 20 7946 0958", ["+44 20 7946 0958"], id="uk-international"),
        pytest.param("mobile 07700 900123", ["07700 900123"], id="uk-mobile"),
        pytest.param("Tel +49 30 901820", ["+49 30 901820"], id="germany"),
        pytest.param("it costs 12.99", [], id="price"),
    ],
)
def test_phone_numbers(text: str, found: list[str]) -> None:
    results = RECOGNIZER.analyze(text, ["PHONE_NUMBER"], None)
    assert [text[r.start : r.end] for r in results if r.score >= 0.5] == found
