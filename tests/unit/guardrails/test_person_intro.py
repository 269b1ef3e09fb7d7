import pytest

from guardrails.recognizers.person_intro import PersonIntroRecognizer

RECOGNIZER = PersonIntroRecognizer()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("my name is maria gonzalez", ["maria gonzalez"], id="lower-case-intro"),
        pytest.param("Hi, this is Tom Baker again", ["Tom Baker"], id="this-is"),
        pytest.param("Thanks, Priya", ["Priya"], id="sign-off"),
        pytest.param("my name is Ann and my order is late", ["Ann"], id="stops-at-stop-word"),
        pytest.param("I'm Sorry to bother you", [], id="not-a-name"),
        pytest.param("my name is on the order", [], id="stop-word-only"),
        pytest.param("this is ridiculous", [], id="lower-case-weak-cue"),
    ],
)
def test_self_introductions(text: str, found: list[str]) -> None:
    assert [text[r.start : r.end] for r in RECOGNIZER.analyze(text, ["PERSON"])] == found
