import pytest

from guardrails.recognizers.us_bank import UsBankAccountRecognizer

RECOGNIZER = UsBankAccountRecognizer()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("my checking account number is 123456789012", ["123456789012"], id="checking"),
        pytest.param(
            "routing 021000021 acct 00012345678", ["021000021", "00012345678"], id="routing-and-acct"
        ),
        pytest.param("order number 123456789012", [], id="order-number"),
        pytest.param("tracking 12345678", [], id="tracking"),
        pytest.param("bank account 1234567", [], id="too-short"),
    ],
)
def test_bank_numbers_need_a_cue(text: str, found: list[str]) -> None:
    assert [text[r.start : r.end] for r in RECOGNIZER.analyze(text, ["US_BANK_NUMBER"])] == found
