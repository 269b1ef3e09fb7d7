import pytest

from guardrails.pii_tokens import PiiTokens, StreamRestorer


def test_same_value_same_token_ignoring_case_and_spacing() -> None:
    tokens = PiiTokens()
    first = tokens.token_for("PERSON", "Maria Gonzalez")
    assert tokens.token_for("PERSON", "maria   GONZALEZ") == first == "<PERSON_1>"
    assert tokens.token_for("PERSON", "maria") == first  # a part of a known name
    assert tokens.token_for("PERSON", "John Smith") == "<PERSON_2>"


def test_code_values_ignore_separators() -> None:
    tokens = PiiTokens()
    assert tokens.token_for("CREDIT_CARD", "4111 1111 1111 1111") == tokens.token_for(
        "CREDIT_CARD", "4111-1111-1111-1111"
    )


def test_counters_continue_after_loaded_entries() -> None:
    tokens = PiiTokens(
        [("<PERSON_3>", "PERSON", "Ann Lee"), ("<EMAIL_ADDRESS_1>", "EMAIL_ADDRESS", "a@b.io")]
    )
    assert tokens.token_for("PERSON", "Ann Lee") == "<PERSON_3>"
    assert tokens.token_for("PERSON", "Bo Diaz") == "<PERSON_4>"
    assert tokens.new_entries() == [("<PERSON_4>", "PERSON", "Bo Diaz")]


def test_find_known_prefers_full_value() -> None:
    tokens = PiiTokens([("<PERSON_1>", "PERSON", "Maria Gonzalez")])
    text = "Maria  Gonzalez said maria would call"
    assert tokens.find_known(text) == [("PERSON", 0, 15), ("PERSON", 21, 26)]


def test_restore_only_known_tokens() -> None:
    tokens = PiiTokens([("<PERSON_1>", "PERSON", "Maria")])
    assert tokens.restore("Hi <PERSON_1> and <PERSON_9>") == "Hi Maria and <PERSON_9>"


def test_restore_json_escapes_values() -> None:
    tokens = PiiTokens([("<PERSON_1>", "PERSON", 'Ann "Jo" O\\Neil')])
    assert tokens.restore('{"name": "<PERSON_1>"}', json_escape=True) == '{"name": "Ann \\"Jo\\" O\\\\Neil"}'


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param(["Hi <PERSON_1>!"], id="whole"),
        pytest.param(["Hi <", "PERSON_1>!"], id="split-after-bracket"),
        pytest.param(["Hi <PER", "SON_", "1", ">!"], id="split-many"),
        pytest.param(["H", "i ", "<PERSON_1", ">", "!"], id="split-before-close"),
    ],
)
def test_stream_restorer_never_shows_partial_tokens(chunks: list[str]) -> None:
    restorer = StreamRestorer(PiiTokens([("<PERSON_1>", "PERSON", "Maria")]))
    shown = [restorer.feed(chunk) for chunk in chunks]
    assert all("<" not in piece for piece in shown)
    assert "".join(shown) + restorer.flush() == "Hi Maria!"


def test_stream_restorer_flushes_non_tokens() -> None:
    restorer = StreamRestorer(PiiTokens())
    assert restorer.feed("a < b and <PERSON_2") == "a < b and "
    assert restorer.flush() == "<PERSON_2"


def test_is_known_across_formats() -> None:
    tokens = PiiTokens([("<PHONE_NUMBER_1>", "PHONE_NUMBER", "(415) 555-0134")])
    assert tokens.is_known("415-555-0134")
    assert not tokens.is_known("415-555-0199")
