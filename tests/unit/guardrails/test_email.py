import pytest

from guardrails.recognizers.email import OfflineEmailRecognizer

RECOGNIZER = OfflineEmailRecognizer()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("mail jo.lee@example.org now", ["jo.lee@example.org"], id="plain"),
        pytest.param("me@mail.example.co.uk", ["me@mail.example.co.uk"], id="multi-label-suffix"),
        pytest.param("user@localhost", [], id="no-public-suffix"),
        pytest.param("version@2.0", [], id="not-a-domain"),
    ],
)
def test_emails_validated_offline(text: str, found: list[str]) -> None:
    results = [r for r in RECOGNIZER.analyze(text, ["EMAIL_ADDRESS"]) if r.score >= 0.5]
    assert [text[r.start : r.end] for r in results] == found
