"""impersonation: a model reply never passes the AI off as a person, in any of the four
shipped languages; mentions of people that are not claims pass untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrails.base import Action, Mode, ReasonCode, Stage, TurnContext
from guardrails.disclosure import DisclosureGuardrail, DisclosureParams
from guardrails.impersonation import ImpersonationGuardrail, ImpersonationParams, load_lexicon, normalized
from guardrails.locale import shipped_texts
from guardrails.pipeline import Pipeline, Rail
from guardrails.policy import OnError
from guardrails.resources import Resources

TABLE = Path(__file__).with_name("data") / "impersonation_replies.yaml"
ROWS: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
CTX = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.OUTPUT)
EN = shipped_texts("en").impersonation


@pytest.fixture
def resources(light_resources: Resources) -> Resources:
    return light_resources


def rail(resources: Resources, **params: Any) -> ImpersonationGuardrail:
    return ImpersonationGuardrail(params=ImpersonationParams.model_validate(params), resources=resources)


def test_the_table_is_big_enough_and_balanced() -> None:
    verdicts = [row["verdict"] for row in ROWS]
    assert len(ROWS) >= 40
    assert verdicts.count("claim") >= 20 and verdicts.count("ok") >= 15
    assert len({row["id"] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", [pytest.param(row, id=row["id"]) for row in ROWS])
async def test_model_replies(resources: Resources, row: dict[str, Any]) -> None:
    decision = await rail(resources).check(row["reply"], CTX)

    if row["verdict"] == "ok":
        assert decision.action is Action.ALLOW
        assert decision.text == row["reply"]
        return
    assert decision.action is Action.REDACT
    assert decision.reason_code is ReasonCode.POLICY
    assert decision.findings[0].entity_type == row["kind"]
    assert 0.7 <= decision.score <= 1.0
    assert EN.correction in decision.text
    # What is left says nothing untrue: the rewritten reply passes the guardrail.
    assert (await rail(resources).check(decision.text, CTX)).action is Action.ALLOW


async def test_rewrite_keeps_the_rest_of_the_reply(resources: Resources) -> None:
    reply = "Your order shipped yesterday. I'm a real person, by the way. I had lunch. Anything else?"

    decision = await rail(resources).check(reply, CTX)

    assert decision.text == f"Your order shipped yesterday. {EN.correction} Anything else?"
    assert decision.annotations["claims"] == 2
    assert decision.annotations["kinds"] == "claims_body,claims_human"
    assert [(f.start, f.end) for f in decision.findings] == [(30, 60), (61, 73)]


async def test_a_streamed_piece_keeps_its_trailing_space(resources: Resources) -> None:
    decision = await rail(resources).check("I'm not a bot. ", CTX)

    assert decision.text == f"{EN.correction} "


@pytest.mark.parametrize(
    ("locale", "languages", "language"),
    [
        pytest.param("es-MX", (), "es", id="metadata-es-MX"),
        pytest.param(None, ("fr-ch", "fr"), "fr", id="accept-language-fr"),
        pytest.param("de", (), "de", id="metadata-de"),
        pytest.param("ja", (), "en", id="unknown-falls-back-to-english"),
    ],
)
async def test_the_correction_is_in_the_customers_language(
    resources: Resources, locale: str | None, languages: tuple[str, ...], language: str
) -> None:
    ctx = TurnContext(
        tenant_id="t", conversation_id="c", stage=Stage.OUTPUT, locale=locale, languages=languages
    )

    decision = await rail(resources).check("Sure! I'm Sarah, a real human.", ctx)

    assert decision.text == f"Sure! {shipped_texts(language).impersonation.correction}"
    assert decision.annotations["locale"] == language


async def test_replace_gives_a_whole_truthful_reply(resources: Resources) -> None:
    decision = await rail(resources, action="replace").check(
        "Hi! I'm a human agent. Your refund is done.", CTX
    )

    assert decision.action is Action.REDACT
    assert decision.text == EN.replacement


async def test_block_refuses_the_turn(resources: Resources) -> None:
    decision = await rail(resources, action="block").check("Trust me, I'm not a robot.", CTX)

    assert decision.action is Action.BLOCK
    assert decision.reason_code is ReasonCode.POLICY


async def test_tenant_patterns_add_and_allow(resources: Resources) -> None:
    guardrail = rail(
        resources,
        extra_patterns=[r"\bi am ava from the london office\b"],
        allow_patterns=[r"^as a human agent would say"],
    )

    added = await guardrail.check("I'm Ava from the London office.", CTX)
    allowed = await guardrail.check("As a human agent would say, better safe than sorry.", CTX)

    assert added.action is Action.REDACT and added.findings[0].entity_type == "tenant_pattern"
    assert allowed.action is Action.ALLOW


def test_a_bad_tenant_pattern_fails_when_the_policy_is_loaded() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        ImpersonationParams.model_validate({"extra_patterns": ["(unclosed"]})


async def test_the_reason_and_findings_never_quote_the_reply(resources: Resources) -> None:
    decision = await rail(resources).check("I'm Bartholomew, a real person.", CTX)

    assert decision.action is Action.REDACT
    recorded = repr((decision.reason, decision.findings, dict(decision.annotations)))
    assert "bartholomew" not in recorded.lower()


def test_every_lexicon_rule_compiles_and_has_a_known_kind() -> None:
    lexicon = load_lexicon()

    assert len(lexicon.rules) >= 25 and len(lexicon.gates) == 4
    assert all(0 < rule.score <= 1 for rule in lexicon.rules)


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=row["id"]) for row in ROWS if row["verdict"] == "claim"]
)
def test_the_shortcuts_never_hide_a_claim(row: dict[str, Any]) -> None:
    """The trigger words and the language gates only skip work: every claim in the table
    is still found by a rule that would have matched without them."""
    lexicon = load_lexicon()
    plain = normalized(row["reply"])

    assert lexicon.trigger.fires(plain)
    assert any(
        gate.search(plain) and any(r.pattern.search(plain) for r in rules) for gate, rules in lexicon.gates
    )


async def test_in_a_pipeline_the_disclosure_still_comes_first(resources: Resources) -> None:
    """impersonation, then disclosure: the customer gets the disclosure and the truth."""
    pipeline = Pipeline(
        stages={
            Stage.OUTPUT: (
                Rail(guardrail=rail(resources), mode=Mode.ENFORCE, budget_s=1.0),
                Rail(
                    guardrail=DisclosureGuardrail(params=DisclosureParams(), resources=resources),
                    mode=Mode.ENFORCE,
                    budget_s=1.0,
                ),
            )
        },
        on_error=OnError.REFUSE,
    )

    result = await pipeline.run(Stage.OUTPUT, "Sure! I'm Sarah, a real human.", CTX)

    assert result.text == f"{shipped_texts('en').disclosure}\n\nSure! {EN.correction}"
    assert [o.decision.action for o in result.outcomes] == [Action.REDACT, Action.ANNOTATE]


async def test_monitor_mode_records_but_changes_nothing(resources: Resources) -> None:
    pipeline = Pipeline(
        stages={Stage.OUTPUT: (Rail(guardrail=rail(resources), mode=Mode.MONITOR, budget_s=1.0),)},
        on_error=OnError.REFUSE,
    )

    result = await pipeline.run(Stage.OUTPUT, "I'm a real person.", CTX)

    assert result.text == "I'm a real person."
    assert result.outcomes[0].decision.action is Action.REDACT


async def test_tenant_wording_for_the_truth(resources: Resources) -> None:
    guardrail = rail(
        resources, corrections={"en": "I'm Lumi, the shop's AI assistant.", "it": "Sono Lumi, un'IA."}
    )
    italian = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.OUTPUT, locale="it-IT")
    german = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.OUTPUT, locale="de")

    assert (await guardrail.check("I'm a real person.", CTX)).text == "I'm Lumi, the shop's AI assistant."
    assert (await guardrail.check("I'm a real person.", italian)).text == "Sono Lumi, un'IA."
    assert (await guardrail.check("I'm a real person.", german)).text == shipped_texts(
        "de"
    ).impersonation.correction


def test_bad_tenant_wording_fails_when_the_policy_is_loaded() -> None:
    with pytest.raises(ValueError, match="language tag"):
        ImpersonationParams.model_validate({"replacements": {"??": "I'm an AI assistant."}})
