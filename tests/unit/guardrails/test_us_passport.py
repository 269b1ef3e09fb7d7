import pytest

from guardrails.recognizers.us_passport import UsPassportCueRecognizer

RECOGNIZER = UsPassportCueRecognizer()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("passport number C03005988", ["C03005988"], id="next-generation"),
        pytest.param("my passport is 912803456", ["912803456"], id="nine-digits"),
        pytest.param("order 912803456", [], id="order-number"),
        pytest.param("SKU C03005988", [], id="sku"),
    ],
)
def test_passport_numbers_need_a_cue(text: str, found: list[str]) -> None:
    assert [text[r.start : r.end] for r in RECOGNIZER.analyze(text, ["US_PASSPORT"])] == found
