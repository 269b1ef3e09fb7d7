"""sensitive_topic: lexicons as data, matched through inflection and word order, per topic."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from guardrails.base import Action, ReasonCode, Stage, TurnContext
from guardrails.lexicon import LEXICON_DIR, available_topics, load_topic
from guardrails.resources import Resources
from guardrails.sensitive_topic import (
    CRISIS_REPLY,
    EMERGENCY_REPLY,
    SensitiveTopicGuardrail,
    SensitiveTopicParams,
)
from guardrails.text_classifier import ModelOpinion, escalation_classifier

CTX = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT)


@pytest.fixture
def resources(light_resources: Resources) -> Resources:
    return light_resources


@pytest.fixture
def rail(resources: Resources) -> SensitiveTopicGuardrail:
    return SensitiveTopicGuardrail(params=SensitiveTopicParams(), resources=resources)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        pytest.param("I want to kill myself", "self_harm", id="self-harm"),
        pytest.param("I've been thinking about ending my life", "self_harm", id="self-harm-inflected"),
        pytest.param("my life, I want to end it", "self_harm", id="self-harm-word-order"),
        pytest.param("I'm not sure I want to live anymore", "self_harm", id="self-harm-negation-ignored"),
        pytest.param("he's not breathing, call an ambulance", "medical_emergency", id="medical"),
        pytest.param("my son swallowed a battery", "medical_emergency", id="swallowed-battery"),
        pytest.param("I will sue you", "legal_threat", id="legal"),
        pytest.param("my mom died last week, please close her account", "bereavement", id="bereavement"),
        pytest.param("I can't afford the payment this month", "financial_hardship", id="hardship"),
        pytest.param("I'm disabled and can't carry the box", "vulnerability", id="vulnerability"),
        pytest.param("I didn't make this purchase", "fraud", id="fraud-negation-is-the-report"),
        pytest.param("Someone hacked my account", "fraud", id="account-takeover"),
        pytest.param("my ex keeps harassing me", "harassment", id="harassment"),
    ],
)
async def test_topics_escalate(rail: SensitiveTopicGuardrail, text: str, topic: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert decision.annotations["topics"][0] == topic
    assert text not in decision.reason


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("this hold music is killing me", id="hyperbole"),
        pytest.param("I want to end my life insurance policy", id="life-insurance"),
        pytest.param("my mom's phone died", id="phone-died"),
        pytest.param("My battery died during checkout", id="battery-died"),
        pytest.param("I'm not going to sue you, I just want my money", id="negated-legal"),
        pytest.param("no one is hurt, the box was just dented", id="negated-medical"),
        pytest.param("it's not that I can't afford it", id="negated-hardship"),
        pytest.param("can someone change my password?", id="password-help"),
        pytest.param("Sue from your team was very helpful", id="name-sue"),
        pytest.param("Do you offer fraud protection?", id="fraud-protection-question"),
        pytest.param("my son passed his driving test", id="passed-test"),
        pytest.param("my website is not responding", id="site-not-responding"),
    ],
)
async def test_hard_negatives_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


async def test_self_harm_gets_crisis_resources_at_once_and_an_urgent_handoff(
    rail: SensitiveTopicGuardrail,
) -> None:
    decision = await rail.check("I don't want to live anymore", CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert decision.annotations["severity"] == "urgent"
    assert decision.reply == CRISIS_REPLY
    assert "local emergency number" in CRISIS_REPLY


async def test_a_medical_emergency_says_call_the_emergency_number(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("my husband is having a heart attack", CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert decision.reply == EMERGENCY_REPLY


async def test_the_most_severe_topic_decides(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("I lost my job and I want to kill myself", CTX)

    assert decision.annotations["topics"] == ["self_harm", "financial_hardship"]
    assert decision.reason_code is ReasonCode.CRISIS


async def test_non_crisis_topics_have_no_canned_reply(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("I'll take you to court", CTX)

    assert decision.reason_code is ReasonCode.SENSITIVE_TOPIC
    assert decision.reply is None
    assert decision.annotations["severity"] == "high"


async def test_tenant_params_choose_topics_severity_phrases_and_replies(resources: Resources) -> None:
    params = SensitiveTopicParams(
        topics=("self_harm", "legal_threat"),
        severity={"legal_threat": "urgent"},
        extra_phrases={"legal_threat": ("chargeback",)},
        crisis_reply="Please call 988 or your local emergency number right now.",
    )
    rail = SensitiveTopicGuardrail(params=params, resources=resources)

    assert (await rail.check("I'll do a chargeback", CTX)).annotations["severity"] == "urgent"
    assert (await rail.check("my card was stolen", CTX)).action is Action.ALLOW  # fraud not enabled
    assert (await rail.check("I want to die", CTX)).reply == params.crisis_reply


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"topics": ["astrology"]}, id="unknown-topic"),
        pytest.param({"topics": ["fraud"], "severity": {"legal_threat": "high"}}, id="override-for-disabled"),
        pytest.param({"severity": {"fraud": "critical"}}, id="unknown-severity"),
        pytest.param({"extra_phrases": {"fraud": ["  "]}}, id="empty-rule"),
    ],
)
def test_bad_params_fail_the_policy(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SensitiveTopicParams.model_validate(params)


@pytest.mark.parametrize("topic", available_topics())
def test_every_lexicon_file_loads(topic: str) -> None:
    loaded = load_topic(LEXICON_DIR / f"{topic}.yaml")
    assert loaded.spec.topic == topic


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("my family would be better off without me", id="better-off-without-me"),
        pytest.param("I'm just a burden to everyone", id="burden"),
        pytest.param("i wish i could just not exist", id="not-exist"),
        pytest.param("sometimes I want to vanish for good", id="vanish-for-good"),
        pytest.param("i dont want to wake up in the morning", id="not-wake-up"),
        pytest.param("ive been saving up my meds for this", id="saving-meds"),
        pytest.param("the tablets are lined up and ready", id="means-ready"),
        pytest.param("I left a note for my parents", id="goodbye-note"),
        pytest.param("i'm giving away all my belongings this week", id="giving-things-away"),
        pytest.param("this is goodbye, thanks for everything", id="this-is-goodbye"),
        pytest.param("gonna kms", id="kms"),
        pytest.param("thinking about unaliving myself", id="unalive"),
        pytest.param("feeling suicdal again", id="typo-suicidal"),
        pytest.param("im standing on the roof of my building", id="standing-on-roof"),
        pytest.param("what's the point in carrying on", id="point-carrying-on"),
        pytest.param("im done with living", id="done-with-living"),
        pytest.param("no one would care if i died", id="nobody-would-care"),
    ],
)
async def test_self_harm_families_get_the_crisis_reply(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert "self_harm" in decision.annotations["topics"]
    assert decision.reply == CRISIS_REPLY


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("my son ate a laundry pod", id="ate-pod"),
        pytest.param("my girlfriend swallowed a handful of paracetamol tablets", id="swallowed-tablets"),
        pytest.param("grandma fainted and is barely breathing", id="barely-breathing"),
        pytest.param("my brother is not moving after he fell", id="person-not-moving"),
        pytest.param("she fell from the balcony", id="fall-from-height"),
        pytest.param("his words are slurred and one side of his face droops", id="stroke-signs"),
        pytest.param("tight pain across my chest", id="chest-pain-word-order"),
        pytest.param("he's convulsing on the floor", id="convulsing"),
        pytest.param("I can't stop the bleeding, there's so much blood", id="bleeding"),
        pytest.param("my little girl's lips are turning blue", id="lips-blue"),
        pytest.param("my dad took too many of his heart pills", id="too-many-pills"),
        pytest.param("the power bank is sparking and melting", id="device-sparking"),
    ],
)
async def test_medical_families_say_call_the_emergency_number(
    rail: SensitiveTopicGuardrail, text: str
) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert decision.annotations["topics"][0] == "medical_emergency"
    assert decision.reply == EMERGENCY_REPLY


async def test_self_harm_with_an_overdose_gets_the_crisis_reply(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("I swallowed all my pills", CTX)

    assert decision.annotations["topics"][0] == "self_harm"
    assert decision.reply == CRISIS_REPLY


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("this bundle deal is killer", id="killer-deal"),
        pytest.param("the suspense is killing me lol", id="killing-me"),
        pytest.param("I'd kill for free shipping", id="kill-for"),
        pytest.param("we drove 300 kms to the store", id="kilometres"),
        pytest.param("is the router end of life or still supported?", id="end-of-life-product"),
        pytest.param("keep the parcel safe while I'm gone on holiday", id="gone-on-holiday"),
        pytest.param("will this offer be around much longer?", id="offer-around-longer"),
        pytest.param("is this rattle a choking hazard for babies?", id="choking-hazard"),
        pytest.param("my order was held after seizure by customs", id="customs-seizure"),
        pytest.param("my dad stopped responding to my texts about the gift", id="not-replying"),
        pytest.param("the smoke alarm battery is missing", id="smoke-alarm-battery"),
        pytest.param("I'm a human rights lawyer and want a business account", id="profession-lawyer"),
        pytest.param("how do I give away a voucher to a friend?", id="give-away-voucher"),
        pytest.param("are my pills ready for collection?", id="pharmacy-pills-ready"),
        pytest.param("the app lost a lot of blood pressure readings", id="blood-pressure"),
        pytest.param("I'd rather die than pay that lol", id="rather-die-than-hyperbole"),
    ],
)
async def test_idioms_and_look_alikes_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


# ---- generalisation: frames, not memorised sentences (written apart from the bench sets) ----

CRISIS_POSITIVES = [
    # wish to be dead
    pytest.param("honestly I just want to go to sleep and never wake up", id="sleep-never-wake"),
    pytest.param("i wish i was dead", id="wish-dead"),
    pytest.param("sometimes i think about not waking up", id="think-not-waking"),
    pytest.param("I'd be better off dead", id="better-off-dead"),
    pytest.param("I don't want to be alive anymore", id="not-alive-anymore"),
    pytest.param("i dont want to exist anymore", id="not-exist-anymore"),
    pytest.param("I want to disappear forever", id="disappear-forever"),
    pytest.param("I'm tired of being alive", id="tired-being-alive"),
    # intent + an ending expression
    pytest.param("I've decided tonight is the night I end it", id="decided-tonight"),
    pytest.param("I'm thinking of ending it all", id="thinking-ending-it-all"),
    pytest.param("i'm ready to end everything tonight", id="ready-end-everything"),
    pytest.param("I just want the pain to stop forever", id="pain-stop-forever"),
    pytest.param("I just want it all to end", id="it-all-to-end"),
    pytest.param("I'm planning to take my own life", id="take-own-life"),
    pytest.param("I want to kill myself", id="kill-myself"),
    pytest.param("I'm going to hang myself", id="hang-myself"),
    pytest.param("I won't be around for much longer", id="not-around-longer"),
    pytest.param("I'm not going to be here much longer", id="not-here-longer"),
    pytest.param("I'm so done with living", id="done-with-living"),
    # burdensomeness
    pytest.param("my kids would be better off without me", id="kids-better-off"),
    pytest.param("I feel like such a burden to my family", id="burden-family"),
    pytest.param("I keep thinking everyone would be relieved if I disappeared", id="relieved-if-gone"),
    pytest.param("my husband would be happier if I was dead", id="happier-if-dead"),
    pytest.param("nobody would even notice if I was gone", id="nobody-notice"),
    pytest.param("the world would be better without me", id="world-better-without"),
    # hopelessness about life
    pytest.param("there's no point in living anymore", id="no-point-living"),
    pytest.param("life isn't worth living", id="not-worth-living"),
    pytest.param("I can't live like this anymore", id="cant-live-like-this"),
    pytest.param("I have nothing to live for", id="nothing-to-live-for"),
    # method and preparation
    pytest.param("I've been saving up my sleeping pills", id="saving-pills"),
    pytest.param("I've got paracetamol here and I'm going to swallow the lot", id="swallow-the-lot"),
    pytest.param("im going to jump off the bridge tonight", id="jump-bridge"),
    pytest.param("I wrote goodbye letters to my family", id="goodbye-letters"),
    pytest.param("i googled how many paracetamol it would take", id="how-many-it-would-take"),
    pytest.param("I've got a knife and I'm going to use it on myself", id="use-it-on-myself"),
    pytest.param("i'm sitting on the ledge of my balcony", id="on-the-ledge"),
    pytest.param("I'm going to overdose on my insulin", id="overdose-insulin"),
    pytest.param("I'm giving away my possessions", id="giving-away-possessions"),
    # self-harm acts
    pytest.param("i cant stop cutting myself", id="cant-stop-cutting"),
    pytest.param("ive started burning myself again", id="burning-again"),
    pytest.param("I hurt myself on purpose last night", id="on-purpose"),
    pytest.param("i've been self harming for months", id="self-harming"),
    pytest.param("i keep hitting myself when i get upset", id="keep-hitting-myself"),
    pytest.param("I'm hiding my cuts from my family", id="hiding-cuts"),
    pytest.param("I keep cutting myself while everyone sleeps", id="cutting-while"),
    pytest.param("I want to end my life, cancel my phone contract", id="end-life-next-to-a-product"),
    pytest.param("I can't go on like this", id="cant-go-on-like-this"),
    pytest.param("feeling suicidal tonight", id="suicidal"),
    # medical emergencies
    pytest.param("my dad collapsed and isn't breathing", id="collapsed-not-breathing"),
    pytest.param("someone is having a seizure next to me", id="seizure-next-to-me"),
]


@pytest.mark.parametrize("text", CRISIS_POSITIVES)
async def test_crisis_frames_escalate_with_a_crisis_reply(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert decision.reason_code is ReasonCode.CRISIS


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I could kill for a coffee right now", id="kill-for-coffee"),
        pytest.param("this is killing me, when does it ship?", id="killing-me"),
        pytest.param("is the Suicide Squad blu-ray back in stock?", id="suicide-squad"),
        pytest.param("I'm dying to know when the sale starts", id="dying-to-know"),
        pytest.param("my phone battery is dead again", id="dead-battery"),
        pytest.param("I'm done, thanks that's everything", id="done-thanks"),
        pytest.param("I want to end my subscription", id="end-subscription"),
        pytest.param("I've decided to end my contract early", id="end-contract"),
        pytest.param("I cut myself on the packaging", id="cut-on-packaging"),
        pytest.param("I burned myself on the kettle you sold me", id="burned-on-kettle"),
        pytest.param("how many tablets should I take a day?", id="dosage-question"),
        pytest.param("I left a note for the courier to leave it by the door", id="note-for-courier"),
        pytest.param("the last letter you sent me had the wrong date", id="last-letter"),
        pytest.param("today is my last day at this address", id="last-day-at-address"),
        pytest.param("I won't be here tomorrow, can you deliver Monday?", id="not-here-tomorrow"),
        pytest.param("this router is going to die soon", id="router-die"),
        pytest.param("I'm going to die of boredom on hold", id="die-of-boredom"),
        pytest.param("my phone wants to die every afternoon", id="phone-wants-to-die"),
        pytest.param("how do I kill the notifications on the app?", id="kill-notifications"),
        pytest.param("we want to say goodbye to our old broadband plan", id="goodbye-plan"),
        pytest.param("the hoover is dead, it won't turn on", id="dead-hoover"),
        pytest.param("cancel it please, I won't need it anymore", id="wont-need-anymore"),
        pytest.param("I'm moving abroad so I won't need it where I'm going", id="where-im-going-abroad"),
        pytest.param("the game has a killer soundtrack", id="killer"),
        pytest.param("I'm tired of waiting for this parcel", id="tired-of-waiting"),
        pytest.param("there's no point in sending it again", id="no-point-sending"),
        pytest.param("this cake is to die for", id="to-die-for"),
        pytest.param("you guys are killing it with the new app", id="killing-it"),
        pytest.param("I hurt my back carrying the box upstairs", id="hurt-back"),
        pytest.param("is there any way out of this contract?", id="way-out-of-contract"),
        pytest.param("I can't go on hold again", id="go-on-hold"),
        pytest.param("I'm giving away my old phone to my niece", id="give-away-phone"),
        pytest.param("I want everything to stop charging me twice", id="stop-charging"),
        pytest.param("I'd rather deal with a person than a bot", id="rather-deal-with-person"),
        pytest.param("I want it to stop sending emails", id="stop-sending"),
        pytest.param("I cut myself shaving with your new razor", id="cut-shaving"),
        pytest.param("someone is having a party next door, deliver tomorrow", id="party-next-door"),
    ],
)
async def test_idioms_and_everyday_complaints_are_not_a_crisis(
    rail: SensitiveTopicGuardrail, text: str
) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ALLOW or decision.reason_code is not ReasonCode.CRISIS


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        pytest.param("I'm sorting out my late grandmother's estate", "bereavement", id="late-kin-estate"),
        pytest.param("I'm the executor of my uncle's estate", "bereavement", id="executor"),
        pytest.param("my husband died in March and the bills are in his name", "bereavement", id="kin-died"),
        pytest.param(
            "the installer was aggressive and shouted at me", "harassment", id="installer-aggressive"
        ),
        pytest.param(
            "your driver swore at me and threatened to come back", "harassment", id="swore-threatened"
        ),
        pytest.param("the engineer grabbed me in my hallway", "harassment", id="grabbed-me"),
    ],
)
async def test_bereavement_and_harassment_by_structure(
    rail: SensitiveTopicGuardrail, text: str, topic: str
) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert topic in decision.annotations["topics"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("my son passed his exams so he needs a laptop", id="passed-exams"),
        pytest.param("the late delivery fee is wrong", id="late-delivery"),
        pytest.param("my brother's account needs a new password", id="brother-account"),
        pytest.param("the driver was late and a bit rude", id="rude-late-driver"),
    ],
)
async def test_bereavement_and_harassment_look_alikes_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


# ---- families added from v6's misses (examples written here, not copied from a bench set) ----

CRISIS_FAMILIES = [
    # passive wish to die: relief at a death that just happens
    pytest.param("honestly i'd be glad if a truck hit me on the way home", id="passive-truck"),
    pytest.param("i hope i die in my sleep", id="passive-die-in-sleep"),
    pytest.param("wouldn't mind if i never woke up tbh", id="passive-never-woke"),
    pytest.param("it'd be ok if a car ran over me", id="passive-ran-over"),
    # not safe with oneself
    pytest.param("i dont feel safe around myself right now", id="unsafe-around-myself"),
    pytest.param("i'm afraid of what i could do to myself tonight", id="afraid-what-i-could-do"),
    pytest.param("i can't keep myself safe", id="keep-myself-safe"),
    pytest.param("i might do something to myself", id="do-something-to-myself"),
    # fixation on a means
    pytest.param("been staring at the pills for an hour", id="staring-pills"),
    pytest.param("cant stop thinking about the bridge", id="thinking-bridge"),
    # lethality questions
    pytest.param("what's a lethal dose of paracetamol", id="lethal-dose"),
    pytest.param("how high a fall would kill you", id="fall-height-kill"),
    pytest.param("would you not survive a fall from the 8th floor", id="not-survive-fall"),
    pytest.param("standing on the bridge and thinking of jumping", id="bridge-jumping"),
    # farewells folded into an errand
    pytest.param("close my account, I won't be alive by next week", id="errand-not-alive"),
    pytest.param("give the credit to my sister, i wont be around to enjoy it", id="errand-wont-be-around"),
    pytest.param("just wanted to say goodbye to somebody before i go", id="goodbye-before-i-go"),
    # self-harm acts
    pytest.param("i cut just to feel something", id="cut-to-feel"),
    pytest.param("i pick at my skin until it bleeds", id="pick-until-bleeds"),
    pytest.param("i burn myself with cigarettes", id="burn-with-cigarettes"),
    pytest.param("having urges to hurt myself again", id="urges-to-hurt"),
    # overdose, past
    pytest.param("i swallowed a handful of tablets", id="handful-tablets"),
    # asking for a crisis line
    pytest.param("do you have a crisis line number", id="crisis-line"),
]


@pytest.mark.parametrize("text", CRISIS_FAMILIES)
async def test_crisis_families_from_v6(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert "self_harm" in decision.annotations["topics"]


MEDICAL_FAMILIES = [
    # blood sugar
    pytest.param("my husband is diabetic and he's confused and sweating", id="diabetic-confused"),
    pytest.param("his blood sugar is dangerously low", id="blood-sugar-low"),
    pytest.param("i think she's having a hypo", id="hypo"),
    # two acute signs, or fitting
    pytest.param("the baby is floppy and really pale", id="floppy-pale"),
    pytest.param("he's drowsy and keeps throwing up", id="drowsy-throwing-up"),
    pytest.param("my son is fitting", id="son-fitting"),
    # head injury with a sign
    pytest.param("he banged his head hard and now he's confused", id="head-confused"),
    pytest.param("i think she's concussed", id="concussed"),
    # bleeding that won't stop
    pytest.param("the cut won't stop bleeding", id="wont-stop-bleeding"),
    pytest.param("blood is gushing from his leg", id="blood-gushing"),
    # someone took something
    pytest.param("my brother took a load of painkillers", id="load-of-painkillers"),
    pytest.param("she took something and now she's shaking", id="took-something"),
    # plain symptoms
    pytest.param("i can't feel my left arm", id="cant-feel-arm"),
    pytest.param("he's turning blue", id="turning-blue"),
]


@pytest.mark.parametrize("text", MEDICAL_FAMILIES)
async def test_medical_families_from_v6(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert "medical_emergency" in decision.annotations["topics"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("almost had a heart attack when I saw the bill", id="heart-attack-hyperbole"),
        pytest.param("the price nearly gave me a stroke", id="stroke-hyperbole"),
        pytest.param("is it safe to install the shelf by myself?", id="safe-by-myself"),
        pytest.param(
            "I'm looking at the tablets on your site, which has most storage?", id="looking-at-tablets"
        ),
        pytest.param("will this phone case survive a drop from 2m?", id="case-survive-drop"),
        pytest.param("I won't be here to receive the parcel on Monday", id="not-here-to-receive"),
        pytest.param("will the plants be alive when they arrive?", id="plants-alive"),
        pytest.param("I'm fine, I didn't wake up until noon", id="fine-woke-late"),
        pytest.param("what's your customer helpline number?", id="customer-helpline"),
        pytest.param("the dress is fitting well, thanks", id="dress-fitting"),
        pytest.param("the router light is turning blue", id="led-blue"),
        pytest.param("my laptop won't wake from sleep", id="laptop-wont-wake"),
        pytest.param("I'm so confused and sick of this app", id="confused-sick-of"),
        pytest.param("is the sugar content really low in this cereal?", id="sugar-content"),
        pytest.param("the blood sugar monitor readings are wrong", id="sugar-monitor"),
        pytest.param("I want to jump on this deal before it ends", id="jump-on-deal"),
    ],
)
async def test_crisis_look_alikes_from_v6_families_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ALLOW or decision.reason_code is not ReasonCode.CRISIS


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # financial hardship: debt, going without, enforcement, income stopped
        pytest.param("we're drowning in debt", "financial_hardship", id="drowning-debt"),
        pytest.param(
            "i can't afford food for the kids this week", "financial_hardship", id="cant-afford-food"
        ),
        pytest.param("it's heat or eat in our house", "financial_hardship", id="heat-or-eat"),
        pytest.param("the bailiff left a letter", "financial_hardship", id="bailiff"),
        pytest.param("£2 left until payday", "financial_hardship", id="until-payday"),
        pytest.param("my universal credit was sanctioned", "financial_hardship", id="uc-sanctioned"),
        pytest.param("I can't make this month's payment", "financial_hardship", id="cant-make-payment"),
        pytest.param("I might lose the house if this goes through", "financial_hardship", id="lose-house"),
        # vulnerability: a condition, age, senses, language, support
        pytest.param("I'm dyslexic so the forms are hard", "vulnerability", id="dyslexic"),
        pytest.param("my son has ADHD and ordered this by mistake", "vulnerability", id="adhd"),
        pytest.param("I'm 91 and live alone", "vulnerability", id="age-91"),
        pytest.param("my eyesight is failing, the text is tiny", "vulnerability", id="eyesight"),
        pytest.param("English isn't my native language", "vulnerability", id="native-language"),
        pytest.param("my social worker helps with my bills", "vulnerability", id="social-worker"),
        pytest.param("I'm recovering from surgery and can't lift it", "vulnerability", id="recovering"),
        # harassment: persistent contact, fear of a person
        pytest.param("the engineer keeps texting me at night", "harassment", id="engineer-texting"),
        pytest.param("I'm terrified of my ex", "harassment", id="terrified-of-ex"),
        pytest.param("someone keeps leaving me creepy notes with my orders", "harassment", id="creepy-notes"),
        # fraud: impersonation, a stranger using the account
        pytest.param("got an email claiming it was from you", "fraud", id="email-claiming"),
        pytest.param("somebody else is ordering on my account", "fraud", id="someone-ordering"),
        pytest.param("I gave them my pin before I realised", "fraud", id="gave-pin"),
        # legal threat: a lawyer consulted, court
        pytest.param("I've consulted a solicitor about this", "legal_threat", id="consulted-solicitor"),
        pytest.param("this will end up in court", "legal_threat", id="end-up-in-court"),
        pytest.param("I'm considering legal steps", "legal_threat", id="legal-steps"),
    ],
)
async def test_topic_families_from_v6(rail: SensitiveTopicGuardrail, text: str, topic: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert topic in decision.annotations["topics"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("my friend Sue recommended your shop", id="friend-sue"),
        pytest.param("Sue ordered one for me last year", id="sue-ordered"),
        pytest.param("I'll lose the house keys if there's no keyring", id="house-keys"),
        pytest.param("the app keeps sending me notifications", id="app-sending"),
        pytest.param("the checkout is asking for my card details again", id="checkout-card-details"),
        pytest.param("I'm 30 and want a student discount", id="age-30"),
        pytest.param("my english is very good, thanks", id="english-good"),
        pytest.param("the driver messaged me to say he's outside", id="driver-outside"),
        pytest.param("is the court shoe available in a 6?", id="court-shoe"),
    ],
)
async def test_topic_look_alikes_from_v6_families_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


# ---- families added from v7's misses: long, phone-typed, non-native, oblique (written here) ----

CRISIS_FAMILIES_V7 = [
    # absence stated as a decision, folded into an errand
    pytest.param(
        "ok so my order is late again but whatever, ive decided i wont be here much longer anyway",
        id="decided-wont-be-here",
    ),
    pytest.param(
        "please refund the balance, I'm not going to be around after the weekend", id="not-around-after"
    ),
    pytest.param("cancel the gym bag order, i wont be around to use it", id="wont-be-around-to-use"),
    pytest.param(
        "I've got a plan and I've chosen the day. Just sort my account out please", id="plan-and-day"
    ),
    # last words through a stranger
    pytest.param("please tell my mum that I'm sorry, the order number is 5512", id="tell-mum-sorry"),
    pytest.param("tell my kids i love them. the parcel can go back", id="tell-kids-love"),
    pytest.param("i just want somebody to know.", id="want-somebody-to-know"),
    # giving things away
    pytest.param("giving all my stuff away so pls cancel the subscription", id="giving-stuff-away"),
    # going on without wanting to
    pytest.param("I do not wish to go on living since the accident", id="not-wish-go-on-living"),
    pytest.param("i cant carry on.", id="cant-carry-on"),
    pytest.param("idc if i die tbh just cancel it", id="idc-if-i-die"),
    # a method named
    pytest.param(
        "thinking to cut my wrists tonight and i only want the refund for my sister", id="cut-wrists"
    ),
    pytest.param("been staring at the rope in the garage all evening", id="rope-all-evening"),
    pytest.param("i am going to the cliffs alone tonight", id="cliffs-tonight"),
    pytest.param("refund to whoever, it won't matter to me once i'm gone", id="wont-matter-once-gone"),
]


@pytest.mark.parametrize("text", CRISIS_FAMILIES_V7)
async def test_crisis_families_from_v7(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert "self_harm" in decision.annotations["topics"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("my toddler licked the laundry pod and is coughing", id="laundry-pod"),
        pytest.param("grandad fell over and can't get up", id="fell-cant-get-up"),
        pytest.param("she fell down the stairs and cant move", id="fell-cant-move"),
        pytest.param("my mum broke her hip", id="broken-hip"),
    ],
)
async def test_medical_families_from_v7(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert "medical_emergency" in decision.annotations["topics"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "I'm moving house so I won't be here after the 3rd, please pause deliveries", id="moving-house"
        ),
        pytest.param("I'm not going to be here after friday, I'm moving house", id="moving-house-after"),
        pytest.param(
            "I won't be around to use the voucher before it expires, can you extend it?", id="voucher"
        ),
        pytest.param("I've decided I won't be needing the second box", id="wont-need-box"),
        pytest.param("tell my wife the flowers are from me", id="tell-wife-flowers"),
        pytest.param("I can't get the app up and running", id="up-and-running"),
        pytest.param("the tablet fell off the table and the screen broke", id="tablet-fell"),
        pytest.param("can't carry on without the charger, when does it ship?", id="carry-on-without"),
        pytest.param("i just want to know where my parcel is", id="want-to-know"),
        pytest.param("I have a payment plan and I picked the date for the first payment", id="payment-plan"),
        pytest.param("I've been looking at the pills on your site for an hour", id="pills-on-site"),
    ],
)
async def test_crisis_look_alikes_from_v7_families_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ALLOW or decision.reason_code is not ReasonCode.CRISIS


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # fraud: charges disowned, phishing, the account changed, impersonation, spending not allowed
        pytest.param("two payments that we never authorised", "fraud", id="payments-never-authorised"),
        pytest.param("clicked the link and entered my bank details", "fraud", id="phishing-link"),
        pytest.param("my email was changed and i cant get in", "fraud", id="email-changed"),
        pytest.param("someone is impersonating me on your site", "fraud", id="impersonating-me"),
        pytest.param("a stranger opened an account using my address", "fraud", id="stranger-opened"),
        pytest.param("my flatmate bought stuff without my permission", "fraud", id="without-my-permission"),
        # bereavement: "passed" alone, "has just died", another language
        pytest.param(
            "my grandad passed yesterday and his phone is on your plan", "bereavement", id="passed-alone"
        ),
        pytest.param("my wife has sadly died, please stop the letters", "bereavement", id="has-sadly-died"),
        pytest.param("mi padre falleció, cancel his account", "bereavement", id="fallecio"),
        # harassment: dirty talk, calls that never stop, a fake profile
        pytest.param("the delivery guy keeps sending me creepy pictures", "harassment", id="creepy-pictures"),
        pytest.param("he is texting me over and over at night", "harassment", id="texting-over-and-over"),
        pytest.param("someone made a fake profile of me", "harassment", id="fake-profile"),
    ],
)
async def test_topic_families_from_v7(rail: SensitiveTopicGuardrail, text: str, topic: str) -> None:
    decision = await rail.check(text, CTX)

    assert topic in decision.annotations["topics"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("the item that I didn't order arrived", id="item-didnt-order"),
        pytest.param("can I use your photos without permission on my blog", id="photos-without-permission"),
        pytest.param("I changed my password and now I can't log in", id="changed-own-password"),
        pytest.param("I opened an account with my details but the page froze", id="opened-own-account"),
        pytest.param("my son passed his exams", id="passed-exams"),
        pytest.param("my wife passed out from the heat but she's fine now", id="passed-out"),
        pytest.param("my dad passed the account to me", id="passed-the-account"),
        pytest.param("I want the account to be in my name only", id="in-my-name"),
    ],
)
async def test_topic_look_alikes_from_v7_families_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert not {"fraud", "bereavement"} & set(decision.annotations.get("topics", ()))


async def test_passed_in_a_season_is_a_death(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("since my husband passed in the autumn I can't face the paperwork", CTX)

    assert "bereavement" in decision.annotations["topics"]


# ---- the classifier's second opinion (crisis only) ----

OBLIQUE = "i just want it all to go quiet for good"


async def test_the_model_finds_a_crisis_the_lexicons_miss(resources: Resources) -> None:
    rules_only = SensitiveTopicGuardrail(
        params=SensitiveTopicParams(model={"enabled": False}), resources=resources
    )
    assert (await rules_only.check(OBLIQUE, CTX)).action is Action.ALLOW

    decision = await SensitiveTopicGuardrail(params=SensitiveTopicParams(), resources=resources).check(
        OBLIQUE, CTX
    )

    assert decision.action is Action.ESCALATE
    assert decision.reason_code is ReasonCode.CRISIS
    assert decision.annotations["topics"] == ["self_harm"]
    assert decision.annotations["severity"] == "urgent"
    assert decision.reply == CRISIS_REPLY
    assert "(model)" in decision.reason


async def test_the_medical_head_picks_the_emergency_reply(resources: Resources) -> None:
    rail = SensitiveTopicGuardrail(params=SensitiveTopicParams(model={"threshold": 0.5}), resources=resources)
    scores = escalation_classifier().scores("my husband collapsed in the kitchen and he isn't answering me")
    assert scores["crisis"] >= 0.5 and scores["medical_emergency"] >= 0.5

    decision = await rail.check("my husband collapsed in the kitchen and he isn't answering me", CTX)

    assert decision.reason_code is ReasonCode.CRISIS
    assert decision.annotations["topics"][0] == "medical_emergency"


async def test_a_model_crisis_goes_before_a_lexicon_topic(resources: Resources) -> None:
    text = "I can't pay the bill and honestly I just want it all to go quiet for good"

    decision = await SensitiveTopicGuardrail(params=SensitiveTopicParams(), resources=resources).check(
        text, CTX
    )

    assert decision.reason_code is ReasonCode.CRISIS
    assert decision.annotations["topics"] == ["self_harm", "financial_hardship"]
    assert decision.reply == CRISIS_REPLY


async def test_the_model_stays_out_of_topics_a_tenant_switched_off(resources: Resources) -> None:
    params = SensitiveTopicParams(topics=("fraud", "legal_threat"))
    decision = await SensitiveTopicGuardrail(params=params, resources=resources).check(OBLIQUE, CTX)

    assert decision.action is Action.ALLOW


# ---- the escalation head's veto of non-crisis lexicon matches ----

INVOICE = "Can I pay my solicitor's invoice with my credit card?"  # "solicitor" reads as a threat


async def test_the_model_vetoes_a_topic_word_in_an_ordinary_message(
    rail: SensitiveTopicGuardrail, resources: Resources
) -> None:
    rules_only = SensitiveTopicGuardrail(
        params=SensitiveTopicParams(model=ModelOpinion(enabled=False)), resources=resources
    )
    assert (await rules_only.check(INVOICE, CTX)).action is Action.ESCALATE

    decision = await rail.check(INVOICE, CTX)

    assert decision.action is Action.ALLOW
    assert decision.reason == "lexicon match vetoed by the model: legal_threat"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("my lawyer will be in touch about this", id="lawyer"),
        pytest.param("it's heat or eat in our house", id="heat-or-eat"),
        pytest.param("someone has logged into my account from Romania", id="takeover"),
    ],
)
async def test_the_veto_leaves_real_topics_alone(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ESCALATE


async def test_a_tenant_phrase_is_never_vetoed(resources: Resources) -> None:
    params = SensitiveTopicParams(extra_phrases={"legal_threat": ("solicitor invoice",)})
    decision = await SensitiveTopicGuardrail(params=params, resources=resources).check(INVOICE, CTX)

    assert decision.action is Action.ESCALATE
    assert decision.annotations["topics"] == ["legal_threat"]


async def test_a_crisis_match_is_never_vetoed(
    rail: SensitiveTopicGuardrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A veto above every probability: each non-crisis match goes, a crisis match stays.
    monkeypatch.setitem(escalation_classifier().thresholds, "topic_veto", 1.01)

    assert (await rail.check("my lawyer will be in touch about this", CTX)).action is Action.ALLOW
    assert (await rail.check("do you have a crisis line number", CTX)).reason_code is ReasonCode.CRISIS


# ---- look-alike families from the v9 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "I think I had an overdose of chocolate over Christmas, cancel the hamper", id="overdose-food"
        ),
        pytest.param("couldn't breathe from laughing at the delivery note", id="breathe-laughing"),
        pytest.param("Do you sell a spare EpiPen holder for a school bag?", id="epipen-holder"),
        pytest.param("If I die after 70, does the over-50s plan still pay out?", id="die-after-age"),
        pytest.param("Who gets the payout if I die, can I name two beneficiaries?", id="payout-if-i-die"),
        pytest.param("The knife set arrived with two knives missing", id="knife-set"),
        pytest.param("We run an anti-bullying workshop, can we book the function room?", id="anti-bullying"),
        pytest.param("Is there a harassment policy template in the HR software?", id="harassment-policy"),
        pytest.param("been stalking the restock page for days lol, when's it back?", id="stalking-page"),
        pytest.param(
            "We're funeral directors and need card terminals for the parlour", id="funeral-directors"
        ),
    ],
)
async def test_look_alikes_from_v9_families_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I took an overdose of my tablets an hour ago", id="overdose-tablets"),
        pytest.param("he's been stalking me since I left him", id="stalking-me"),
        pytest.param("I cut myself with a kitchen knife on purpose last night", id="knife-on-purpose"),
    ],
)
async def test_the_v9_exceptions_leave_the_real_thing_alone(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I'm a barrister, can the invoice go to my chambers?", id="barrister"),
        pytest.param("My legal representative will sign for the parcel", id="representative-signs"),
        pytest.param("We run a crisis line charity, do you do nonprofit pricing?", id="crisis-line-charity"),
        pytest.param("The gazebo collapsed in the first bit of wind", id="gazebo-collapsed"),
        pytest.param("Does Stalker 2 support controllers on PC?", id="stalker-title"),
    ],
)
async def test_look_alikes_from_v10_families_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


async def test_a_threat_from_a_lawyer_is_still_a_threat(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("I'm a lawyer myself and I will sue you over this", CTX)

    assert decision.annotations["topics"] == ["legal_threat"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "My solicitor friend says the contract looks fine, how do I sign?", id="solicitor-friend"
        ),
        pytest.param("Does the app have settings to keep hackers out of my account?", id="keep-hackers-out"),
        pytest.param("Does the critical illness plan include a stroke?", id="cover-includes-stroke"),
        pytest.param("Is the payout different if my wife dies before 60?", id="dies-before-age"),
        pytest.param("the gym was so hot I couldn't breathe haha, is the aircon fixed?", id="breathe-haha"),
        pytest.param("I'm a bereavement counsellor, can I get a work phone?", id="bereavement-counsellor"),
    ],
)
async def test_look_alikes_from_v11_families_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "my sister said she wants to kill herself and I don't know what to do", id="kill-herself"
        ),
        pytest.param("the blood isn't stopping, I cut my hand on the glass", id="blood-not-stopping"),
        pytest.param(
            "I'm having a stroke I think, does my cover include an ambulance", id="stroke-then-cover"
        ),
    ],
)
async def test_v11_crisis_families_escalate(rail: SensitiveTopicGuardrail, text: str) -> None:
    decision = await rail.check(text, CTX)

    assert decision.reason_code is ReasonCode.CRISIS


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Is the funeral plan paid monthly or up front?", id="funeral-plan-product"),
        pytest.param("the gutter is clogged with leaves, whose job is it?", id="clogged-with-leaves"),
        pytest.param("my watch says I'm having a stroke whenever I run lol", id="watch-says-stroke"),
        pytest.param("The radiators need bleeding, do you send someone?", id="bleeding-radiators"),
        pytest.param("What happens to my pension when I die?", id="pension-when-i-die"),
        pytest.param(
            "I hold power of attorney for my dad, what do you need from me?", id="power-of-attorney-legal"
        ),
        pytest.param("Where do I turn on fraud alerts in the app?", id="turn-on-fraud-alerts"),
        pytest.param("sorry to harass you again, any news on the refund?", id="sorry-to-harass"),
    ],
)
async def test_look_alikes_from_v13_families_are_not_their_topic(
    rail: SensitiveTopicGuardrail, text: str
) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ALLOW or decision.annotations["topics"] == ["vulnerability"]


async def test_a_death_still_counts_next_to_a_funeral_plan(rail: SensitiveTopicGuardrail) -> None:
    decision = await rail.check("my mum died last week and I need to claim on her funeral plan", CTX)

    assert "bereavement" in decision.annotations["topics"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "I need a statement for my conveyancer showing the account is closed",
            id="statement-for-conveyancer",
        ),
        pytest.param("I've got jury duty, the court date is the same day as my delivery", id="jury-duty"),
        pytest.param("can the late payment charge be refunded? I paid one day late", id="paid-a-day-late"),
        pytest.param(
            "please mark the fraud alert as genuine, that was my purchase", id="fraud-alert-genuine"
        ),
        pytest.param(
            "my wife would kill me if I missed the match, is the stream fixed?", id="would-kill-me-if"
        ),
        pytest.param("do I have to disclose a pre-existing condition on the form?", id="disclose-condition"),
        pytest.param("the dog is dying to try the new chews, when are they back?", id="dying-to-try"),
        pytest.param("how do I update my next of kin details?", id="next-of-kin"),
        pytest.param(
            "I'm away and won't be around for two weeks, can you hold deliveries?", id="away-two-weeks"
        ),
    ],
)
async def test_look_alikes_from_v14_families_are_not_their_topic(
    rail: SensitiveTopicGuardrail, text: str
) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("cancel it all, I don't plan on being around much longer", id="not-plan-being-around"),
        pytest.param("no point in me anymore", id="no-point-in-me"),
        pytest.param("my wife is in labour and the ambulance hasn't come", id="in-labour"),
        pytest.param("my toddler swallowed a dishwasher tablet", id="swallowed-tablet"),
    ],
)
async def test_v14_crisis_families_escalate(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).reason_code is ReasonCode.CRISIS


# ---- look-alike families from the v15-v18 development sets (variants written apart) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("what screws do I need to hang the tv bracket?", id="hang-tv"),
        pytest.param("we can't go on the cruise now, can I move the booking?", id="go-on-cruise"),
        pytest.param("our cat keeps jumping off the bed at night, any calming spray?", id="cat-jumps"),
        pytest.param("lost the will to live in that queue lol, anyway can I pay by card", id="will-queue"),
        pytest.param(
            "I had a stroke four years ago, do I need to declare it for the policy?", id="past-stroke"
        ),
        pytest.param("had a heart attack in 2019, am I still eligible for travel cover", id="attack-2019"),
        pytest.param("does my seizure medication count as a pre-existing condition?", id="seizure-meds"),
        pytest.param("do you sell slug poison that's safe around dogs?", id="slug-poison"),
        pytest.param("is ambulance cover part of the family plan?", id="ambulance-cover"),
        pytest.param("my inhaler prescription needs a repeat, can I order online", id="inhaler-repeat"),
        pytest.param("my grandad passed away in 2012, please take his name off the bill", id="died-2012"),
        pytest.param("our rabbit died of old age years ago, cancel the pet plan please", id="pet-years-ago"),
        pytest.param("the claim form asks for my next of kin, can it be a friend?", id="form-next-of-kin"),
        pytest.param("my solicitor needs the final bill for the flat sale", id="solicitor-sale"),
        pytest.param("is legal protection included in the home policy?", id="legal-protection"),
        pytest.param("I can't afford to be late for my shift, is the 7.10 running?", id="afford-late"),
        pytest.param(
            "how do I turn on the debt collection reminders in the invoicing software?", id="debt-tool"
        ),
    ],
)
async def test_look_alikes_from_v15_v18_families_are_not_their_topic(
    rail: SensitiveTopicGuardrail, text: str
) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        pytest.param("I'm going to hang myself tonight", "self_harm", id="hang-myself"),
        pytest.param("I can't go on like this anymore", "self_harm", id="cant-go-on"),
        pytest.param("my dad is having a stroke, his face has dropped", "medical_emergency", id="stroke-now"),
        pytest.param("my son drank rat poison from the shed", "medical_emergency", id="drank-poison"),
        pytest.param(
            "my mum passed away last week, what do I do with her account", "bereavement", id="died-recently"
        ),
        pytest.param(
            "my solicitor will be in touch about your negligence", "legal_threat", id="solicitor-threat"
        ),
        pytest.param(
            "I can't afford to pay the rent and the gas this month", "financial_hardship", id="cant-pay"
        ),
    ],
)
async def test_the_v15_v18_exceptions_leave_the_real_thing_alone(
    rail: SensitiveTopicGuardrail, text: str, topic: str
) -> None:
    decision = await rail.check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert topic in decision.annotations["topics"]


# ---- crisis families from the v19 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("sitting in the car with the pills now", id="car-with-pills"),
        pytest.param("im in the tub with a blade", id="tub-with-blade"),
        pytest.param("cancel the order, I won't be anywhere after friday", id="anywhere-after"),
        pytest.param("how do I sign my savings over before I'm gone", id="sign-over-before-gone"),
        pytest.param("mujhe jeena nahi hai ab", id="hinglish-jeena"),
        pytest.param("main khud ko khatam karna chahta hoon", id="hinglish-khatam"),
    ],
)
async def test_v19_crisis_families_escalate(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).reason_code is ReasonCode.CRISIS


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I won't be around after 5pm, can the courier come earlier?", id="around-after"),
        pytest.param("is there a razor in the bath gift set?", id="razor-gift-set"),
        pytest.param("can I sign the car over to my son before I go abroad", id="sign-over-abroad"),
    ],
)
async def test_v19_crisis_look_alikes_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


# ---- families from the v22 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("gusto ko na mamatay", id="tagalog"),
        pytest.param("no quiero vivir mas", id="spanish"),
        pytest.param("je veux en finir", id="french"),
        pytest.param("mum's oxygen cylinder is empty and she's gasping", id="oxygen-gasping"),
        pytest.param("he's gasping for breath and going grey", id="gasping-for-breath"),
    ],
)
async def test_v22_crisis_families_escalate(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).reason_code is ReasonCode.CRISIS


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I'm gasping for a coffee, is the station cafe open?", id="gasping-coffee"),
        pytest.param("does the community ambulance service cover our village?", id="ambulance-service"),
        pytest.param("the whole team collapsed with laughter at the new mascot", id="collapsed-laughter"),
        pytest.param("can I hire a bailiff costume for the panto?", id="bailiff-costume"),
    ],
)
async def test_v22_look_alikes_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("bye forever, newsletters! take me off the list", id="bye-newsletters"),
        pytest.param("the series had a suicide storyline, a warning at the start would help", id="storyline"),
        pytest.param("can I trade away my game skins to my brother?", id="trade-skins"),
        pytest.param("I could overdose on your pizza, honestly", id="overdose-pizza"),
        pytest.param("I fainted in 2019 at one of your gigs, can I get an aisle seat?", id="fainted-2019"),
        pytest.param("stroke survivor here, is the gym step-free?", id="survivor"),
        pytest.param("an ambulance was parked across the drive, that's why we missed the slot", id="parked"),
        pytest.param("want to end my plan early, what's the fee", id="end-plan"),
        pytest.param("can I end my membership at the end of this month?", id="end-membership"),
    ],
)
async def test_v23_v24_look_alikes_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


async def test_ending_a_plan_beside_a_crisis_still_escalates(rail: SensitiveTopicGuardrail) -> None:
    text = "I want to end my subscription, I won't be alive next month anyway"

    assert (await rail.check(text, CTX)).reason_code is ReasonCode.CRISIS


# ---- look-alike families from the v25 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("can I set up a new payment plan for the water bill?", id="set-up-plan"),
        pytest.param("pricing up my own funeral in advance, what does a plan cost", id="own-funeral-plan"),
        pytest.param("we'll hang the bunting ourselves, what time can we get in", id="hang-bunting"),
        pytest.param("can't breathe in this dress lol, one size up please", id="breathe-dress"),
        pytest.param(
            "I passed out at my first blood test, can someone hold my hand this time?", id="fainted-first"
        ),
        pytest.param(
            "my daughter carries an inhaler, can she take it on the school trip?", id="carries-inhaler"
        ),
        pytest.param("the executor needs a copy of the policy documents", id="executor-copy"),
        pytest.param("are there tickets left for Death of a Salesman on Friday?", id="play-title"),
    ],
)
async def test_v25_look_alikes_pass(rail: SensitiveTopicGuardrail, text: str) -> None:
    assert (await rail.check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        pytest.param(
            "I can't pay this month, can I set up a payment plan", "financial_hardship", id="cant-pay-plan"
        ),
        pytest.param("I'm planning my own funeral, I won't be here long", "self_harm", id="own-funeral-soon"),
        pytest.param("she fainted and isn't waking up", "medical_emergency", id="fainted-now"),
    ],
)
async def test_the_v25_exceptions_leave_the_real_thing_alone(
    rail: SensitiveTopicGuardrail, text: str, topic: str
) -> None:
    assert topic in (await rail.check(text, CTX)).annotations["topics"]
