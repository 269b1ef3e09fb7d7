import pytest

from guardrails.recognizers.date_of_birth import DateOfBirthRecognizer

RECOGNIZER = DateOfBirthRecognizer()


def _found(text: str) -> list[str]:
    return [text[r.start : r.end] for r in RECOGNIZER.analyze(text, ["DATE_OF_BIRTH"])]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        pytest.param("DOB: 12/05/1985", "12/05/1985", id="dob-slash"),
        pytest.param("I was born on March 5, 1985.", "March 5, 1985", id="born-on-month-name"),
        pytest.param("my date of birth is 1985-03-05", "1985-03-05", id="date-of-birth-iso"),
        pytest.param("birthday 5th of March 1985", "5th of March 1985", id="birthday-ordinal"),
        pytest.param("d.o.b. 05.03.85", "05.03.85", id="dob-dotted-two-digit-year"),
    ],
)
def test_finds_introduced_dates(text: str, date: str) -> None:
    assert _found(text) == [date]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("delivered on March 5, 2024", id="delivery-date"),
        pytest.param("ordered 2024-03-05 14:30", id="timestamp"),
        pytest.param("born on time. Delivered 05/03/2024", id="cue-in-other-sentence"),
        pytest.param("the return window ends 12/05/2024", id="plain-date"),
    ],
)
def test_ignores_plain_dates(text: str) -> None:
    assert _found(text) == []
