"""frustration: VADER plus the cues it misses, and the trend over a conversation, turn by turn."""

from __future__ import annotations

import json
from typing import Any

import pytest

from guardrails.base import Action, Decision, ReasonCode, Stage, TurnContext
from guardrails.frustration import FrustrationGuardrail, FrustrationParams
from guardrails.resources import Resources
from guardrails.text_classifier import escalation_classifier


@pytest.fixture
def resources(light_resources: Resources) -> Resources:
    return light_resources


@pytest.fixture
def rail(resources: Resources) -> FrustrationGuardrail:
    return FrustrationGuardrail(params=FrustrationParams(), resources=resources)


def rules_only(resources: Resources) -> FrustrationGuardrail:
    return FrustrationGuardrail(params=FrustrationParams(model={"enabled": False}), resources=resources)


def ctx(state: dict[str, Any] | None = None) -> TurnContext:
    return TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT, state=state or {})


async def transcript(rail: FrustrationGuardrail, messages: list[str]) -> list[Decision]:
    """Runs the messages as consecutive turns, keeping state the way the app does."""
    state: dict[str, Any] = {}
    decisions = []
    for text in messages:
        decision = await rail.check(text, ctx(state))
        state.update(decision.annotations["state"])
        decisions.append(decision)
    return decisions


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("This is the third time I'm contacting you!!!", id="third-time-vader-says-neutral"),
        pytest.param("Still nothing. I've waited two weeks.", id="still-nothing-waited"),
        pytest.param("I'm fed up", id="fed-up"),
        pytest.param("Refund NOW. I'm sick of waiting.", id="refund-now"),
        pytest.param("Nobody answers my emails", id="nobody-answers"),
        pytest.param("WHERE IS MY ORDER??", id="shouting"),
        pytest.param("You people are useless.", id="useless"),
        pytest.param("What a bunch of incompetent clowns", id="insult"),
        pytest.param("what the f*** is going on", id="masked-profanity"),
        pytest.param("I already explained this twice", id="explained-twice"),
        pytest.param("I've been chasing this since March", id="chasing"),
        pytest.param("they just keep bouncing me around from one team to another", id="passed-around"),
        pytest.param("4 emails and 2 calls and not a word back", id="counted-contacts"),
        pytest.param("Why does nobody listen to me", id="nobody-listens"),
        pytest.param("this whole order has been a total farce", id="total-farce"),
        pytest.param("Honestly I'm at my wits end with you", id="wits-end"),
        pytest.param("you are wasting my time", id="wasting-time"),
        pytest.param("sort this out or I'm closing my account", id="ultimatum"),
        pytest.param("I can't take this any more, three weeks without a fridge", id="cant-take-it"),
    ],
)
async def test_frustrated_messages_escalate(rail: FrustrationGuardrail, text: str) -> None:
    decision = await rail.check(text, ctx())

    assert decision.action is Action.ESCALATE
    assert decision.reason_code is ReasonCode.FRUSTRATION
    assert decision.annotations["severity"] in {"normal", "high"}
    assert text not in decision.reason


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Where is my order?", id="neutral-question"),
        pytest.param("I ordered two weeks ago, any update?", id="two-weeks-ago-no-complaint"),
        pytest.param("I'm a bit disappointed my order is late, could you check?", id="polite-complaint"),
        pytest.param("The colour isn't quite what I expected, how do I return it?", id="mild"),
        pytest.param("THANK YOU SO MUCH!!!", id="happy-shouting"),
        pytest.param("It was ages ago that I ordered, but no rush.", id="no-rush"),
        pytest.param("Can I use two discount codes at once?", id="at-once-not-a-demand"),
        pytest.param("I was charged twice, could you refund one?", id="charged-twice"),
        pytest.param("Can I pause my subscription for a month?", id="for-a-month"),
        pytest.param("I've tried twice to log in, can you reset it?", id="tried-twice-polite"),
        pytest.param("the box was a little dented but it's fine", id="dented-but-fine"),
    ],
)
async def test_calm_messages_pass(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ALLOW


async def test_insults_are_high_severity(rail: FrustrationGuardrail) -> None:
    decision = await rail.check("you bunch of idiots", ctx())

    assert decision.annotations["severity"] == "high"


async def test_rising_negativity_escalates_a_message_that_alone_would_not(resources: Resources) -> None:
    # The rules' trend on its own: the model already reads this message as frustrated.
    rail = FrustrationGuardrail(params=FrustrationParams(model={"enabled": False}), resources=resources)
    mild = "that is a shame, it broke"
    alone = await rail.check(mild, ctx())
    assert alone.action is Action.ALLOW

    turns = await transcript(rail, ["the parcel is late, that's disappointing", mild])

    assert [d.action for d in turns] == [Action.ALLOW, Action.ESCALATE]
    assert turns[1].score > turns[1].annotations["message_score"]


async def test_an_old_message_never_fires_twice(resources: Resources) -> None:
    # The rules' state on their own: the model reads a bare "where is it?" as impatient.
    rail = FrustrationGuardrail(params=FrustrationParams(model={"enabled": False}), resources=resources)
    turns = await transcript(
        rail, ["This is ridiculous, nobody answers!!!", "ok thanks", "fine", "where is it?"]
    )

    assert [d.action for d in turns] == [Action.ESCALATE, Action.ALLOW, Action.ALLOW, Action.ALLOW]


async def test_escalation_resets_the_complaint_count(rail: FrustrationGuardrail) -> None:
    turns = await transcript(rail, ["that's disappointing", "I'm fed up"])

    assert turns[1].action is Action.ESCALATE
    assert turns[1].annotations["state"]["frustration"] == {"scores": [], "complaints": 0, "turns": 2}


async def test_state_is_json_and_holds_no_text(rail: FrustrationGuardrail) -> None:
    turns = await transcript(rail, ["Where is my order 12345?", "still nothing from dispatch"])

    dumped = json.dumps([d.annotations["state"] for d in turns])
    assert "order" not in dumped and "dispatch" not in dumped and "12345" not in dumped


async def test_a_tenant_cue_adds_evidence(resources: Resources) -> None:
    rail = FrustrationGuardrail(params=FrustrationParams(extra_cues={r"\bmeh\b": 0.6}), resources=resources)

    assert (await rail.check("meh", ctx())).action is Action.ESCALATE


# ---- customer-service complaint cues as patterns (written apart from the bench sets) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I've been on hold for 45 minutes and nobody has picked up", id="on-hold-minutes"),
        pytest.param("two weeks and still no refund, this is getting ridiculous", id="weeks-and-no"),
        pytest.param("I'm sick of chasing you for my money", id="sick-of-chasing"),
        pytest.param("why is it so hard to cancel a subscription", id="why-so-hard"),
        pytest.param("nobody in your billing team seems to care", id="nobody-cares"),
        pytest.param("I'm tired of explaining the same thing", id="tired-of"),
        pytest.param("a month later and nothing has arrived", id="month-later-nothing"),
        pytest.param("this keeps happening and I'm fed up", id="keeps-happening"),
        pytest.param("I can't believe I have to ask again", id="cant-believe"),
        pytest.param("it's impossible to reach anyone at your company", id="impossible-to-reach"),
        pytest.param("been on hold an hour, this is insane", id="insane"),
    ],
)
async def test_complaint_cues_escalate(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I could kill for a coffee right now, anyway where's my order?", id="kill-for-coffee"),
        pytest.param("I'm done, thanks that's everything", id="done-thanks"),
        pytest.param("no one answered the door so the courier left a note", id="no-one-answered-door"),
        pytest.param("nobody was home when it came, can you redeliver?", id="nobody-home"),
        pytest.param("this deal is to die for", id="to-die-for"),
        pytest.param("the battery is dead, can I get a replacement?", id="dead-battery"),
        pytest.param("it's a bit frustrating but no worries", id="hedged"),
        pytest.param("can you check the status please? It's been a few days", id="polite-chase"),
        pytest.param("I'm dying to try the new flavour", id="dying-to"),
        pytest.param("you guys are killing it with the new app", id="killing-it"),
    ],
)
async def test_idioms_and_polite_messages_stay_calm(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I hate myself and want to die", id="self-harm"),
        pytest.param("nobody would care if I lived or died", id="nobody-would-care"),
        pytest.param("I have crushing chest pain and my arm is numb", id="medical"),
    ],
)
async def test_a_crisis_is_left_to_the_crisis_rail(rail: FrustrationGuardrail, text: str) -> None:
    decision = await rail.check(text, ctx({"frustration": {"scores": [0.2], "complaints": 1, "turns": 1}}))

    assert decision.action is Action.ALLOW
    assert decision.annotations["state"]["frustration"]["complaints"] == 1


# ---- cue families added from v6's misses (examples written here) ----


@pytest.mark.parametrize(
    "text",
    [
        # an imperative at the bot, shouted or with "now"/"today"
        pytest.param("PAY ME BACK NOW", id="pay-me-back-now"),
        pytest.param("I want my deposit back today", id="want-back-today"),
        pytest.param("just answer my question!!", id="answer-my-question"),
        # nobody, in the base form
        pytest.param("why does no one ever call back", id="no-one-call-back"),
        # calling into silence
        pytest.param("hellooo?? is anyone there???", id="hello-anyone"),
        # the same scripted answer
        pytest.param("you keep giving me the same canned response", id="canned-response"),
        pytest.param("stop with the copy and paste replies", id="copy-paste"),
        # harm done to an occasion
        pytest.param("you've spoiled our anniversary", id="spoiled-anniversary"),
        # leaving
        pytest.param("that's the last time I ever shop with you", id="last-time-ever"),
        pytest.param("you've lost my business", id="lost-my-business"),
        # an ultimatum
        pytest.param("I won't explain this again. Fix it.", id="wont-explain-again"),
        # abstract nouns of blame
        pytest.param("the negligence here is staggering", id="negligence"),
    ],
)
async def test_v6_cue_families_escalate(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("waited ages for the restock, finally here, yay", id="relief-after-waiting"),
        pytest.param("still waiting on the refund, any news? thanks", id="polite-chaser"),
        pytest.param("is this an automated reply?", id="automated-question"),
        pytest.param("is the answer the same for UK orders?", id="same-answer-question"),
        pytest.param("hello? do you ship to Ireland?", id="single-question-mark"),
    ],
)
async def test_v6_calm_look_alikes_pass(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ALLOW


# ---- cue families added from v7's misses (examples written here) ----


@pytest.mark.parametrize(
    "text",
    [
        # exasperation
        pytest.param("for heaven's sake, just send the replacement", id="heavens-sake"),
        pytest.param("for crying out loud where is it", id="crying-out-loud"),
        # a complaint said again in capitals
        pytest.param("it's been three weeks. THREE WEEKS.", id="echo-in-capitals"),
        # disbelief at paying, contempt for the product
        pytest.param("cant believe we paid extra for this rubbish", id="paid-for-rubbish"),
        # angry faces
        pytest.param("😡 my order is wrong again", id="angry-emoji"),
        # blame, and a bare order at the end
        pytest.param("your fault not mine, the parcel was sent to the wrong town", id="your-fault"),
        pytest.param("Charged twice because your website went down. Fix it.", id="blame-fix-it"),
        # it always goes wrong
        pytest.param("every single time we order, the box is crushed", id="every-single-time"),
        pytest.param("late AGAIN smh", id="smh"),
    ],
)
async def test_v7_cue_families_escalate(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        # the customer's misfortune is not anger at us
        pytest.param("my dad passed away and I need to close his account", id="bereavement"),
        pytest.param("I have bad anxiety on the phone, can we do this by chat", id="anxiety"),
        pytest.param("sorry to bother you, could you check my order status", id="sorry-to-bother"),
        pytest.param(
            "i'm really struggling with money right now, can I pause payments?", id="struggling-money"
        ),
        # idioms and look-alikes
        pytest.param("I'm dead tired after the move, can it come Saturday?", id="dead-tired"),
        pytest.param("it's been a month since I joined, love the service", id="been-a-month-happy"),
        pytest.param("I bought a garbage bag holder, when will it ship?", id="garbage-bag"),
        pytest.param("can you fix it for me please?", id="polite-fix-it"),
    ],
)
async def test_v7_calm_look_alikes_pass(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ALLOW


# ---- the classifier's second opinion ----


async def test_the_model_confirms_frustration_the_cues_only_hint_at(resources: Resources) -> None:
    text = "another week, another excuse from you lot, seriously"
    rules_only = FrustrationGuardrail(params=FrustrationParams(model={"enabled": False}), resources=resources)
    assert (await rules_only.check(text, ctx())).action is Action.ALLOW

    decision = await FrustrationGuardrail(params=FrustrationParams(), resources=resources).check(text, ctx())

    assert decision.action is Action.ESCALATE
    assert "model" in decision.annotations["cues"]


async def test_below_its_alone_threshold_the_model_needs_a_cue(resources: Resources) -> None:
    text = "maria here again, did you get everything?"
    scores = escalation_classifier().scores(text)
    assert 0.1 < scores["frustration"] < escalation_classifier().thresholds["frustration_alone"]
    # The cues find nothing negative, so even a low confirming threshold stays quiet.
    rail = FrustrationGuardrail(params=FrustrationParams(model={"threshold": 0.05}), resources=resources)

    assert (await rail.check(text, ctx())).action is Action.ALLOW


def never_agreeing(resources: Resources) -> FrustrationGuardrail:
    """The model never confirms and vetoes every moderate cue score."""
    params = FrustrationParams(model={"threshold": 1.0}, model_alone=1.0, model_veto=1.0)
    return FrustrationGuardrail(params=params, resources=resources)


async def test_the_model_vetoes_a_moderate_cue_score(resources: Resources) -> None:
    text = "Still waiting for the confirmation email, is that normal?"
    assert (await rules_only(resources).check(text, ctx())).action is Action.ESCALATE

    decision = await never_agreeing(resources).check(text, ctx())

    assert decision.action is Action.ALLOW
    assert decision.score < FrustrationParams().threshold


async def test_strong_evidence_is_never_vetoed(resources: Resources) -> None:
    decision = await never_agreeing(resources).check(
        "This is the THIRD time I'm contacting you, useless!!!", ctx()
    )

    assert decision.action is Action.ESCALATE


async def test_a_tenant_cue_is_never_vetoed(resources: Resources) -> None:
    params = FrustrationParams(extra_cues={r"\bmeh\b": 0.6}, model={"threshold": 1.0}, model_veto=1.0)

    assert (
        await FrustrationGuardrail(params=params, resources=resources).check("meh", ctx())
    ).action is Action.ESCALATE


# ---- the commonest customer-service questions, asked plainly (also classifier training data) ----


@pytest.mark.parametrize(
    "text",
    [
        "Question number 3: where is my parcel?",
        "Hi, where is my parcel? It says out for delivery",
        "where is my refund for the returned shoes",
        "Where is my order, I placed it on Monday",
        "where's my package at the moment?",
        "Can you tell me where my delivery is please",
        "Why was I charged this month?",
        "why is my bill higher than last month",
        "When will my order arrive?",
        "when is the engineer coming tomorrow",
        "How do I track my parcel?",
        "has my refund been processed yet?",
        "Is my order still coming today?",
        "what's happening with my order",
        "any news on my replacement card?",
        "I haven't received my order yet, can you check where it is?",
        "where do I find my invoice",
        "where is the nearest store to me",
        "Still waiting for the confirmation email, is that normal?",
        "My parcel hasn't arrived yet, what are the next steps?",
        "why hasn't my payment gone through",
        "How long does a refund usually take?",
        "Could you check the status of my return please?",
        "what time will the driver get here",
        "Where is my money? I returned the item last week",
    ],
)
async def test_plain_questions_about_an_order_stay_calm(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ALLOW


# ---- calm look-alikes from the v22 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("pls send me the code again", id="send-again"),
        pytest.param("could you resend the invoice again please", id="resend-again"),
        pytest.param("sorry, can you say that again?", id="say-again"),
        pytest.param("send the tracking link again pls, I deleted the email", id="link-again"),
    ],
)
async def test_v22_calm_look_alikes_pass(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("honestly ridiculous value, how is it this cheap", id="ridiculous-value"),
        pytest.param("these boots are ridiculous comfy, ordering another pair", id="ridiculous-comfy"),
    ],
)
async def test_v25_calm_look_alikes_pass(rail: FrustrationGuardrail, text: str) -> None:
    assert (await rail.check(text, ctx())).action is Action.ALLOW
