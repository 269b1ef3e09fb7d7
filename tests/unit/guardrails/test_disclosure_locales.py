"""The disclosure in the customer's language: metadata.locale, else Accept-Language (by
q-value), else the tenant's default; per-tenant wording per locale; the locale and the
version of the text shown are reported for the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.base import Action, Stage, TurnContext
from guardrails.bot_question import BotQuestionGuardrail, BotQuestionParams
from guardrails.disclosure import DisclosureGuardrail, DisclosureParams, text_version
from guardrails.locale import (
    SHIPPED,
    LocaleTexts,
    best_locale,
    header_locale,
    parse_accept_language,
    shipped_texts,
)
from guardrails.policy import Messages
from guardrails.resources import Resources

REPLY = "Your parcel left our warehouse this morning."


@pytest.fixture
def resources(light_resources: Resources) -> Resources:
    return light_resources


def disclosure(resources: Resources, **params: Any) -> DisclosureGuardrail:
    return DisclosureGuardrail(params=DisclosureParams.model_validate(params), resources=resources)


def turn(
    locale: str | None = None, accept_language: str | None = None, ai_turns_before: int = 0
) -> TurnContext:
    return TurnContext(
        tenant_id="t",
        conversation_id="c",
        stage=Stage.OUTPUT,
        locale=locale,
        languages=parse_accept_language(accept_language),
        ai_turns_before=ai_turns_before,
    )


@pytest.mark.parametrize("language", SHIPPED)
def test_every_shipped_language_has_every_text(language: str) -> None:
    texts = shipped_texts(language)

    assert isinstance(texts, LocaleTexts)
    assert "{name}" in texts.handoff.joined and "{name}" in texts.handoff.handed_back
    assert texts.handoff.joined.format(name="Dana").startswith("Dana")


def test_the_shipped_texts_are_really_translated() -> None:
    disclosures = {shipped_texts(language).disclosure for language in SHIPPED}
    corrections = {shipped_texts(language).impersonation.correction for language in SHIPPED}

    assert len(disclosures) == len(corrections) == len(SHIPPED)


@pytest.mark.parametrize(
    ("locale", "expected", "marker"),
    [
        pytest.param("en", "en", "AI assistant", id="english"),
        pytest.param("es", "es", "inteligencia artificial", id="spanish"),
        pytest.param("fr", "fr", "intelligence artificielle", id="french"),
        pytest.param("de", "de", "KI-Assistenten", id="german"),
        pytest.param("es-MX", "es", "inteligencia artificial", id="spanish-mexico-by-language"),
        pytest.param("de_AT", "de", "KI-Assistenten", id="posix-style-austrian-german"),
        pytest.param("FR-ca", "fr", "intelligence artificielle", id="case-insensitive"),
        pytest.param("ja-JP", "en", "AI assistant", id="unshipped-falls-back-to-default"),
    ],
)
async def test_each_locale_gets_its_own_disclosure(
    resources: Resources, locale: str, expected: str, marker: str
) -> None:
    decision = await disclosure(resources).check(REPLY, turn(locale))

    text = shipped_texts(expected).disclosure
    assert marker in text
    assert decision.action is Action.ANNOTATE
    assert decision.text == f"{text}\n\n{REPLY}"
    assert decision.annotations["disclosure"] == text
    assert decision.annotations["disclosure_locale"] == expected
    assert decision.annotations["disclosure_version"] == text_version(text)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("de-DE,de;q=0.9,en;q=0.8", "de", id="browser-german"),
        pytest.param("pt-BR, fr;q=0.7, en;q=0.5", "fr", id="first-shipped-preference"),
        pytest.param("en;q=0.2, es;q=0.9", "es", id="q-values-not-order"),
        pytest.param("fr;q=0, es", "es", id="q-zero-means-not-this"),
        pytest.param("*;q=1, de;q=0.1", "de", id="wildcard-says-nothing"),
        pytest.param("xx;q=oops, es;q=0.3", "es", id="malformed-weight-is-skipped"),
        pytest.param("!!garbage!!", "en", id="garbage-falls-back"),
        pytest.param("", "en", id="empty"),
    ],
)
async def test_accept_language_picks_the_best_shipped_language(
    resources: Resources, header: str, expected: str
) -> None:
    decision = await disclosure(resources).check(REPLY, turn(accept_language=header))

    assert decision.annotations["disclosure_locale"] == expected


async def test_metadata_locale_wins_over_accept_language(resources: Resources) -> None:
    decision = await disclosure(resources).check(REPLY, turn("fr", accept_language="de,en;q=0.5"))

    assert decision.annotations["disclosure_locale"] == "fr"


async def test_an_unshipped_metadata_locale_lets_accept_language_decide(resources: Resources) -> None:
    decision = await disclosure(resources).check(REPLY, turn("ja", accept_language="ja, es;q=0.4"))

    assert decision.annotations["disclosure_locale"] == "es"


async def test_the_tenant_default_locale_applies_when_nothing_fits(resources: Resources) -> None:
    decision = await disclosure(resources, default_locale="de").check(REPLY, turn("ja", "zh-CN"))

    assert decision.annotations["disclosure_locale"] == "de"
    assert decision.text.startswith(shipped_texts("de").disclosure)


async def test_tenant_texts_override_and_add_locales(resources: Resources) -> None:
    guardrail = disclosure(
        resources,
        texts={"es": "Hola, soy Lumi, la IA de la tienda.", "it": "Stai parlando con un assistente IA."},
    )

    spanish = await guardrail.check(REPLY, turn("es-AR"))
    italian = await guardrail.check(REPLY, turn(accept_language="it-IT,en;q=0.5"))
    german = await guardrail.check(REPLY, turn("de"))

    assert spanish.annotations["disclosure"] == "Hola, soy Lumi, la IA de la tienda."
    assert italian.annotations["disclosure"] == "Stai parlando con un assistente IA."
    assert italian.annotations["disclosure_locale"] == "it"
    assert german.annotations["disclosure"] == shipped_texts("de").disclosure
    assert spanish.annotations["disclosure_version"] != text_version(shipped_texts("es").disclosure)


async def test_every_turn_discloses_in_the_customers_language(resources: Resources) -> None:
    decision = await disclosure(resources, every_turn=True).check(REPLY, turn("fr", ai_turns_before=5))

    assert decision.text.startswith(shipped_texts("fr").disclosure)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"texts": {"not a tag!": "Some long enough text."}}, id="bad-locale-key"),
        pytest.param({"texts": {"es": "corto"}}, id="text-too-short"),
        pytest.param({"default_locale": "??"}, id="bad-default-locale"),
        pytest.param(
            {"text": "An AI answers you here.", "texts": {"en": "An AI answers you."}}, id="text-twice"
        ),
    ],
)
def test_bad_params_fail_when_the_policy_is_loaded(params: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        DisclosureParams.model_validate(params)


def test_parse_accept_language_orders_by_quality_then_position() -> None:
    assert parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == (
        "fr-ch",
        "fr",
        "en",
        "de",
    )
    assert parse_accept_language("es;q=0.5, de;q=0.5, en") == ("en", "es", "de")
    assert parse_accept_language("en, en, EN;q=0.1") == ("en",)
    assert parse_accept_language("de;q=1.5, fr;q=0.50001") == ()
    assert len(parse_accept_language(",".join(["en"] * 5000))) == 1


def test_best_locale_falls_back_by_language() -> None:
    assert best_locale(["es-MX"], ["en", "es"], "en") == "es"
    assert best_locale(["pt"], ["en", "pt-BR"], "en") == "pt-BR"
    assert best_locale([None, "de-CH"], ["de-CH", "de"], "en") == "de-CH"
    assert best_locale(["ja"], ["en"], "en") == "en"


# -- Candor's own texts follow the same locale -------------------------------------------


def test_candors_own_messages_follow_the_customers_locale() -> None:
    messages = Messages()

    assert messages.localized("es-MX").refused == shipped_texts("es").messages.refused
    assert messages.localized(None, ("fr-ch", "fr")).with_person == shipped_texts("fr").messages.with_person
    assert messages.localized("ja").refused == messages.refused  # English, the default


def test_tenant_messages_per_locale_and_default_locale() -> None:
    messages = Messages.model_validate(
        {
            "refused": "Custom refusal.",
            "locales": {"es": {"refused": "Rechazo propio."}, "it": {"refused": "Rifiuto."}},
        }
    )

    assert messages.localized("en").refused == "Custom refusal."
    assert messages.localized("es").refused == "Rechazo propio."
    # What a locale leaves out is Candor's translation, not English.
    assert messages.localized("es").handoff_queued == shipped_texts("es").messages.handoff_queued
    assert messages.localized("it-IT").refused == "Rifiuto."
    assert messages.localized("it").with_person == messages.with_person
    german_tenant = Messages.model_validate({"default_locale": "de"})
    assert german_tenant.localized("ja").refused == shipped_texts("de").messages.refused


def test_a_bad_messages_locale_fails_when_the_policy_is_loaded() -> None:
    with pytest.raises(ValueError):
        Messages.model_validate({"locales": {"not a tag!": {"refused": "x"}}})


@pytest.mark.parametrize("language", SHIPPED)
async def test_the_bot_question_answer_is_in_the_customers_language(
    resources: Resources, language: str
) -> None:
    guardrail = BotQuestionGuardrail(params=BotQuestionParams(), resources=resources)
    ctx = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT, locale=language)

    decision = await guardrail.check("are you a bot?", ctx)

    assert decision.reply == shipped_texts(language).bot_question


async def test_a_tenants_bot_question_answer_is_used_for_everyone(resources: Resources) -> None:
    params = BotQuestionParams(answer="Yes, this is Lumi, the shop's AI. Type agent for a person.")
    guardrail = BotQuestionGuardrail(params=params, resources=resources)
    ctx = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT, locale="de")

    decision = await guardrail.check("are you a bot?", ctx)

    assert decision.reply == params.answer


def test_header_locale_files_a_header_only_customer_under_a_spoken_language() -> None:
    assert header_locale(parse_accept_language("pt-BR, de;q=0.8")) == "de"
    assert header_locale(parse_accept_language("ja")) == "ja"
    assert header_locale(()) is None
