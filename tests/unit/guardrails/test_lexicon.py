"""lexicon: one-edit typo tolerance on a lexicon's key words, and what it leaves alone."""

from __future__ import annotations

import pytest

from guardrails.base import Action, Stage, TurnContext
from guardrails.lexicon import (
    LEXICON_DIR,
    TopicSpec,
    clauses,
    compile_rule,
    crisis_topics,
    default_topic,
    edits1,
    load_topic,
    stem,
    typo_table,
)
from guardrails.resources import Resources
from guardrails.sensitive_topic import SensitiveTopicGuardrail, SensitiveTopicParams

CTX = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT)


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        pytest.param("myslef", "myself", id="swapped"),
        pytest.param("mysef", "myself", id="dropped"),
        pytest.param("myselff", "myself", id="doubled"),
        pytest.param("ambulence", "ambulance", id="changed"),
        pytest.param("unconcious", "unconscious", id="dropped-long"),
    ],
)
def test_one_edit_misspellings_map_to_the_word(typo: str, word: str) -> None:
    assert typo in edits1(word)
    assert typo_table([word], exclude=frozenset())[typo] == word


def test_real_words_listed_as_not_typos_stay_themselves() -> None:
    table = typo_table(["choking", "bleeding"], exclude=frozenset({"cooking", "breeding"}))

    assert "cooking" not in table
    assert "breeding" not in table
    assert table["chokng"] == "choking"


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        pytest.param("self_harm", "i want to kill myslef", id="kill-myslef"),
        pytest.param("self_harm", "feeling suicdal again tonight", id="suicdal"),
        pytest.param("self_harm", "i dont want to live anymroe", id="anymroe"),
        pytest.param("medical_emergency", "please call an ambulence", id="ambulence"),
        pytest.param("medical_emergency", "my dad is unconcious on the floor", id="unconcious"),
        pytest.param("medical_emergency", "she cant breathng properly", id="breathng"),
    ],
)
def test_lexicons_read_key_words_through_typos(topic: str, text: str) -> None:
    assert load_topic(LEXICON_DIR / f"{topic}.yaml").match(clauses(text))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I was cooking dinner when the oven clock reset", id="cooking-is-not-choking"),
        pytest.param("is this dog food ok for breeding dogs?", id="breeding-is-not-bleeding"),
    ],
)
def test_real_words_near_key_words_do_not_fire(text: str) -> None:
    assert not load_topic(LEXICON_DIR / "medical_emergency.yaml").match(clauses(text))


def test_typos_must_be_long_words() -> None:
    with pytest.raises(ValueError):
        TopicSpec.model_validate(
            {"topic": "t", "reason_code": "crisis", "severity": "urgent", "phrases": ["x"], "typos": ["kill"]}
        )


def test_a_rule_with_only_a_clause_end_is_refused() -> None:
    with pytest.raises(ValueError):
        compile_rule("$")


@pytest.mark.parametrize("forms", [("bleed", "bleeds", "bleeding"), ("need", "needs", "needed", "needing")])
def test_eed_words_keep_one_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(w) for w in forms}) == 1


@pytest.mark.parametrize(
    ("rule", "text", "span"),
    [
        pytest.param("end my life", "i want to end my life now", (3, 5), id="ordered"),
        pytest.param("~ life end", "my life, i want to end it", (1, 5), id="order-free-back"),
        pytest.param("stop $", "make it all stop", (3, 3), id="clause-end"),
    ],
)
def test_a_rule_reports_the_words_it_covers(rule: str, text: str, span: tuple[int, int]) -> None:
    assert compile_rule(rule).find(clauses(text)[0], 6) == span


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        pytest.param("cancel my life insurance", False, id="unless-covers-the-phrase"),
        pytest.param(
            "my family would be better off if i was dead, with the life insurance", True, id="elsewhere"
        ),
        pytest.param("cancel the life insurance and then end my life", True, id="same-clause-other-words"),
        pytest.param("the product is end of life and i want to end my life", True, id="end-of-life-product"),
        pytest.param("the product is end of life", False, id="end-of-life-alone"),
    ],
)
def test_unless_rules_silence_only_their_own_words(text: str, fires: bool) -> None:
    assert load_topic(LEXICON_DIR / "self_harm.yaml").match(clauses(text)) is fires


def test_shipped_lexicons_are_compiled_once_and_shared() -> None:
    self_harm = default_topic("self_harm")

    assert default_topic("self_harm") is self_harm
    assert self_harm in crisis_topics()  # the frustration rail asks the same instance


async def test_a_tenants_phrases_never_reach_the_shared_lexicon(light_resources: Resources) -> None:
    phrase = "purple elephant"
    params = SensitiveTopicParams(extra_phrases={"self_harm": (phrase,)})
    tenant_rail = SensitiveTopicGuardrail(params=params, resources=light_resources)

    assert (await tenant_rail.check(f"I saw a {phrase}", CTX)).action is Action.ESCALATE
    assert load_topic(LEXICON_DIR / "self_harm.yaml", extra=(phrase,)).match(clauses(phrase))
    assert not default_topic("self_harm").match(clauses(phrase))


def test_a_clause_answer_is_the_same_from_the_cache() -> None:
    topic = default_topic("self_harm")
    text = "I want to end it all tonight"

    assert topic.match(clauses(text)) is topic.match(clauses(text)) is True
    assert clauses(text) is clauses(text)  # read once per message, whichever rail asks first
