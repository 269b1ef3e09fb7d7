"""human_request: a customer who asks for a person gets one; other senses of the words do not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from guardrails.base import Action, ReasonCode, Stage, TurnContext
from guardrails.human_request import HumanRequestGuardrail, HumanRequestParams
from guardrails.resources import CpuRunner, Resources
from guardrails.text_classifier import escalation_classifier


@pytest.fixture
def resources() -> Iterator[Resources]:
    cpu = CpuRunner(max_workers=1)
    yield Resources(cpu=cpu, hmac_key=b"k" * 32)
    cpu.close()


def rail(resources: Resources, **params: object) -> HumanRequestGuardrail:
    return HumanRequestGuardrail(params=HumanRequestParams.model_validate(params), resources=resources)


CTX = TurnContext(tenant_id="t", conversation_id="c", stage=Stage.INPUT)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("agent", id="bare-agent"),
        pytest.param("representative", id="bare-representative"),
        pytest.param("real person", id="real-person"),
        pytest.param("talk to someone", id="talk-to-someone"),
        pytest.param("operator", id="operator"),
        pytest.param("human pls", id="human-pls"),
        pytest.param("can I speak to a manager", id="speak-to-manager"),
        pytest.param("REPRESENTATIVE!!!", id="shouted"),
        pytest.param("Sorry but agent please", id="polite-prefix"),
        pytest.param("can I talk to <PERSON_1> please", id="named-person-token"),
        pytest.param("agnet", id="typo-agnet"),
        pytest.param("i want to talk to a represenative", id="typo-represenative"),
        pytest.param("get me a humna", id="typo-humna"),
        pytest.param("supervsior now", id="typo-supervisor"),
        pytest.param("transfer me to an agent", id="transfer"),
        pytest.param("I'd like to be transferred to a representative", id="passive-transfer"),
        pytest.param("is there a human I can talk to?", id="is-there-a-human"),
        pytest.param("Can an agent call me back?", id="call-me-back"),
        pytest.param("I don't want to talk to a bot", id="refuses-bot"),
        pytest.param("I'm fed up. Still no parcel. Get me a human.", id="negator-in-earlier-sentence"),
        pytest.param("connect me with customer service", id="customer-service"),
        pytest.param("can you put a real person on", id="put-a-human-on"),
        pytest.param("get me somebody real", id="someone-real"),
        pytest.param("I'd like to be put in touch with a staff member", id="in-touch-with-staff"),
        pytest.param("could a colleague of yours take over?", id="colleague-take-over"),
        pytest.param("transfer me to the billing department", id="department"),
        pytest.param("please have someone ring me back", id="ring-me-back"),
        pytest.param("I want a callback from an employee", id="callback-from-employee"),
        pytest.param("is anyone there? hello??", id="anyone-there"),
        pytest.param("any agents online?", id="agents-online"),
        pytest.param("escalate it", id="escalate-it"),
        pytest.param("real people only pls", id="people-only"),
        pytest.param(
            "Do you have live chat on weekends? I need to talk to someone now", id="availability-plus-now"
        ),
    ],
)
async def test_explicit_requests_escalate(resources: Resources, text: str) -> None:
    decision = await rail(resources).check(text, CTX)

    assert decision.action is Action.ESCALATE
    assert decision.reason_code is ReasonCode.CUSTOMER_REQUEST
    assert decision.annotations["severity"] == "normal"
    assert decision.text == text
    assert text not in decision.reason


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I'm human resources manager", id="human-resources"),
        pytest.param("the agent in my order said it ships Monday", id="agent-in-order"),
        pytest.param("My travel agent booked this", id="travel-agent"),
        pytest.param("my network operator blocks your texts", id="network-operator"),
        pytest.param("I talked to someone yesterday and it's sorted", id="past-tense"),
        pytest.param("I don't need an agent, just the link", id="negated"),
        pytest.param("I want the manager's email for the invoice", id="possessive"),
        pytest.param("I need someone to fix my boiler", id="someone-as-technician"),
        pytest.param("Is there a person-to-person transfer option?", id="person-to-person"),
        pytest.param("are you a real person?", id="bot-question-not-request"),
        # The pii rail ran first: a name token is not the word "person".
        pytest.param("<PERSON_1>!", id="name-token-alone"),
        pytest.param("Perfecto <PERSON_1>, gracias", id="word-taken-for-a-name"),
        pytest.param("<PERSON_2> here, my email is <EMAIL_ADDRESS_1>", id="name-token-introduction"),
        pytest.param("My boss, the manager, wants an invoice", id="manager-in-middle-clause"),
        pytest.param("I want to transfer money to my account", id="money-transfer"),
        pytest.param("Human error on my side, wrong address", id="human-error"),
        pytest.param("is there an operator fee for calls abroad?", id="operator-fee"),
        pytest.param("Does someone have to sign for the parcel?", id="someone-to-sign"),
        pytest.param("I need a person to collect it at the door", id="person-to-collect"),
        # A question about availability is answered, not escalated (documented decision).
        pytest.param("Do you have live chat on weekends?", id="live-chat-availability-question"),
        pytest.param("are your agents available on bank holidays?", id="agent-hours-question"),
        pytest.param("my lawyer works in human rights", id="human-rights"),
        pytest.param("am I talking to an actual human?", id="am-i-talking-to-a-human"),
        pytest.param("I put the cleaning agent in the cupboard", id="put-agent-in"),
        pytest.param("I want the team jersey in medium", id="team-jersey"),
    ],
)
async def test_other_senses_do_not_escalate(resources: Resources, text: str) -> None:
    decision = await rail(resources).check(text, CTX)

    assert decision.action is Action.ALLOW


async def test_tenant_patterns_add_and_veto(resources: Resources) -> None:
    guardrail = rail(resources, extra_patterns=[r"\bcall me back\b"], ignore_patterns=[r"\bagent pro\b"])

    assert (await guardrail.check("please call me back", CTX)).action is Action.ESCALATE
    assert (await guardrail.check("agent pro", CTX)).action is Action.ALLOW


async def test_typo_tolerance_can_be_switched_off(resources: Resources) -> None:
    rules_only = rail(resources, typo_tolerance=False, model={"enabled": False})
    assert (await rules_only.check("agetn", CTX)).action is Action.ALLOW
    assert (await rail(resources).check("agetn", CTX)).action is Action.ESCALATE


def test_a_bad_regex_fails_the_policy_not_a_turn() -> None:
    with pytest.raises(ValidationError):
        HumanRequestParams(extra_patterns=("(",))


# ---- generalisation by structure (written apart from the bench sets) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I'd prefer to speak with a human please", id="prefer-speak"),
        pytest.param("can you switch me over to a real agent", id="switch-me-over"),
        pytest.param("put a supervisor on the chat", id="put-on-chat"),
        pytest.param("any agents available right now?", id="any-agents-available"),
        pytest.param("Is there a manager I can talk to?", id="manager-i-can-talk-to"),
        pytest.param("I'd rather work this out with a person than a machine", id="rather-work-out"),
        pytest.param("supervisr please", id="typo-standalone"),
        pytest.param("connect to customer service", id="objectless-connect"),
        pytest.param("I want to speak to a reprasentative", id="typo-one-edit"),
        pytest.param("reprisentitive now", id="typo-two-edits"),
        pytest.param("supervisoor now please", id="typo-long-word"),
        pytest.param("loop in a manager please", id="loop-in"),
        pytest.param("are there any humans working today?", id="are-there-humans"),
    ],
)
async def test_requests_generalise_by_structure(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I'm a human resources manager and need an invoice", id="hr-manager"),
        pytest.param("my travel agent booked this for me", id="travel-agent"),
        pytest.param("I spoke to a person at the store yesterday", id="past-conversation"),
        pytest.param("no need for a human, the bot is fine", id="negated-need"),
        pytest.param("someone here is having a stroke", id="someone-here-emergency"),
        pytest.param("is there a person who can sign for it", id="recipient"),
        pytest.param("my supervisor approved the purchase", id="my-supervisor"),
        pytest.param("the representative's name on my receipt is wrong", id="rep-on-receipt"),
        pytest.param("I made a bank transfer to the estate agent", id="bank-transfer"),
        pytest.param("representation of the colours is off in the photos", id="representation"),
    ],
)
async def test_structural_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


# ---- structures added from v6's misses (examples written here) ----


@pytest.mark.parametrize(
    "text",
    [
        # "customer services" (plural) folds like "customer service"
        pytest.param("can you put me through to customer services", id="customer-services"),
        # a call back from a person
        pytest.param("could one of your staff give me a ring", id="staff-give-me-a-ring"),
        pytest.param("can someone in billing give me a call back", id="someone-give-me-a-call"),
        # non-native: "a responsible" for the person in charge, "sum1"
        pytest.param("I want speak with the responsable", id="non-native-responsable"),
        pytest.param("can i talk to sum1 pls", id="sum1"),
        # a preference to go through it with a person
        pytest.param("I'd prefer to go over this with a person", id="prefer-go-over-with-person"),
        pytest.param("I would like to discuss it with an agent", id="like-discuss-with-agent"),
        # asking, again, for a person
        pytest.param("I asked twice for an agent", id="asked-twice-for-agent"),
        pytest.param("been asking all day for a manager", id="asking-all-day-for-manager"),
    ],
)
async def test_v6_structures_escalate(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("the agent on my delivery note said to leave it with a neighbour", id="agent-on-note"),
        pytest.param("the person on the order form wrote the wrong address down", id="person-on-form"),
        pytest.param("who is responsible for the late delivery?", id="who-is-responsible"),
        pytest.param("I never asked for a manager, just a refund", id="never-asked-for-manager"),
    ],
)
async def test_v6_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


# ---- families added from v7's misses: phone typing, non-native, elderly, run-on (written here) ----


@pytest.mark.parametrize(
    "text",
    [
        # a run-on message that opens with the ask
        pytest.param("agent pls my parcel never came", id="opens-agent-pls"),
        pytest.param("human please i need to change my address", id="opens-human-please"),
        pytest.param("person pls thx", id="person-pls-thx"),
        # a clipped ask among filler clauses
        pytest.param("rep. now.", id="rep-now"),
        # elderly politeness: a lady or gentleman, a word with someone
        pytest.param("could you kindly put me through to a lady or gentleman", id="lady-or-gentleman"),
        pytest.param("may I have a word with someone from customer services", id="have-a-word"),
        # non-native: the person in charge, one person, "please to connect"
        pytest.param("i want speak with the person in charge", id="person-in-charge"),
        pytest.param("give me one person please", id="give-me-one-person"),
        pytest.param("please to connect me with a real human", id="please-to-connect"),
        pytest.param("I would like someone more senior to look at this", id="someone-senior"),
        # a call back asked for, a way to reach a person
        pytest.param("can you arrange a callback from an advisor", id="arrange-callback"),
        pytest.param("how can I get hold of a real person", id="get-hold-of"),
        pytest.param("is there a way to contact a human", id="way-to-contact"),
        # phone shorthand
        pytest.param("i need help w my order can u get me a human", id="w-and-u"),
        # a "no" before a noun, or "nobody", does not cancel the ask after it
        pytest.param("still no parcel can i speak to someone", id="no-parcel-then-ask"),
        pytest.param("nobody replies just give me an agent", id="nobody-then-ask"),
    ],
)
async def test_v7_families_escalate(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("the agent pls note said leave it at the door", id="agent-in-a-note"),
        pytest.param("I spoke to a lady in the shop yesterday", id="spoke-to-lady"),
        pytest.param("I already had a call back yesterday", id="had-a-call-back"),
        pytest.param("the person in charge of my building signs for parcels", id="in-charge-of-building"),
        pytest.param("can I transfer my points to another person", id="transfer-points"),
        pytest.param("Can I transfer my subscription to someone else?", id="transfer-to-someone-else"),
        pytest.param("pass my account to my wife please", id="pass-account"),
        pytest.param("i dont need to speak to anyone thanks", id="dont-need"),
        pytest.param("how do i contact the courier", id="contact-courier"),
        pytest.param("I want the senior discount", id="senior-discount"),
    ],
)
async def test_v7_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


# ---- the classifier's second opinion ----

PARAPHRASE = "I would prefer to discuss this with one of your colleagues directly"


async def test_the_model_finds_a_request_the_patterns_miss(resources: Resources) -> None:
    assert (await rail(resources, model={"enabled": False}).check(PARAPHRASE, CTX)).action is Action.ALLOW

    decision = await rail(resources).check(PARAPHRASE, CTX)

    assert decision.action is Action.ESCALATE
    assert decision.reason_code is ReasonCode.CUSTOMER_REQUEST
    assert decision.annotations["kind"] == "model"
    assert decision.score >= escalation_classifier().thresholds["human_request"]


async def test_a_tenant_threshold_overrides_the_trained_one(resources: Resources) -> None:
    strict = rail(resources, model={"threshold": 1.0})

    assert (await strict.check(PARAPHRASE, CTX)).action is Action.ALLOW
    assert (await strict.check("can I speak to a manager", CTX)).action is Action.ESCALATE


async def test_ignore_patterns_also_silence_the_model(resources: Resources) -> None:
    quiet = rail(resources, ignore_patterns=(r"\bcolleagues\b",))

    assert (await quiet.check(PARAPHRASE, CTX)).action is Action.ALLOW


# ---- look-alike families from the v9 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("How do I set up an admin login for my office manager?", id="admin-login"),
        pytest.param("Does the plan include supervisor access for the shift leads?", id="supervisor-access"),
        pytest.param("Please send a human readable copy of the contract", id="human-readable"),
        pytest.param("Can I message my letting agent from your app?", id="letting-agent"),
        pytest.param("Our travel agents need a group booking code", id="travel-agents"),
        pytest.param("How many agent seats come with the helpdesk tier?", id="agent-seats"),
    ],
)
async def test_v9_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


async def test_a_person_word_before_a_feature_word_is_still_a_request_elsewhere(resources: Resources) -> None:
    assert (
        await rail(resources).check("can I talk to a manager about my account", CTX)
    ).action is Action.ESCALATE


# ---- request families from the v10 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I'd like a quick word with your supervisor", id="like-a-word"),
        pytest.param("could you get someone from accounts on the phone", id="someone-from-on-the-phone"),
        pytest.param("please can I be transferred to a pharmacist", id="pharmacist"),
        pytest.param("I want my refund looked at by a team leader", id="team-leader"),
        pytest.param(
            "what's the phone number for your support team, I'd rather call", id="number-for-the-team"
        ),
        pytest.param("put me onto a person please", id="put-me-onto"),
        pytest.param("need customer service staff not a faq", id="service-staff"),
        pytest.param("I said AGENT", id="i-said-agent"),
    ],
)
async def test_v10_families_escalate(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "They promised I'd have a callback on Monday, has it been booked?", id="callback-reported"
        ),
        pytest.param("is there a human vs computer option in the chess app", id="human-vs-computer"),
        pytest.param("my claim was dealt with by a manager last week, thanks", id="dealt-with-past"),
        pytest.param("the police officer gave me a crime number for the stolen phone", id="police-officer"),
    ],
)
async def test_v10_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


# ---- request families from the v11 development set (variants written apart from it) ----


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("could I get through to a consultant about my contract", id="consultant"),
        pytest.param("where can I find an agent on this website", id="where-find-agent"),
        pytest.param("can somebody from the warehouse team please call me", id="someone-from-call-me"),
        pytest.param("spk to agent", id="spk"),
    ],
)
async def test_v11_families_escalate(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("where can I find the person who signed for my parcel", id="find-the-person-who"),
        pytest.param("could I reach the 4pm collection if I post it now?", id="reach-a-collection"),
    ],
)
async def test_v11_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("What's the representative APR on the personal loan?", id="representative-apr"),
        pytest.param("the app won't let me speak my answers out loud", id="speak-my-answers"),
    ],
)
async def test_v13_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Can the assistant speak Polish? My mum doesn't read English", id="speak-polish"),
        pytest.param("I'd like to compliment one of your staff, who do I write to?", id="compliment-staff"),
    ],
)
async def test_v14_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


async def test_a_language_is_still_a_request_when_asked_of_a_person(resources: Resources) -> None:
    assert (await rail(resources).check("can I talk to someone in Spanish", CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Pretend to be my friend Sarah, a real person, and tell me about my order.", id="pretend"
        ),
        pytest.param("act as a human agent and tell me a joke", id="act-as"),
        pytest.param("can we roleplay that you're a real person? just for fun", id="roleplay"),
    ],
)
async def test_asking_the_bot_to_play_a_person_is_not_a_request(resources: Resources, text: str) -> None:
    # The impersonation rails answer these: the customer wants the bot to act, not a person.
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


async def test_a_request_beside_the_word_pretend_still_counts(resources: Resources) -> None:
    decision = await rail(resources).check("stop pretending and get me a real person", CTX)

    assert decision.action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("necesito hablar con un asesor por favor", id="spanish"),
        pytest.param("je veux parler à un conseiller", id="french"),
        pytest.param("kann ich bitte mit einem Mitarbeiter sprechen", id="german"),
        pytest.param("quero falar com um atendente", id="portuguese"),
        pytest.param("posso parlare con un operatore?", id="italian"),
        pytest.param("kisi insaan se baat karao", id="hinglish"),
        pytest.param("is there a real pharmacist I can talk to", id="real-pharmacist"),
    ],
)
async def test_v19_families_escalate(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("is there a real difference I can see between the two plans?", id="real-difference"),
        pytest.param("¿hablan español en la tienda de Madrid?", id="spanish-question"),
    ],
)
async def test_v19_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("put me through pls", id="put-through"),
        pytest.param("ok bot, hand us over now", id="hand-over"),
        pytest.param("I want my complaint escalated", id="escalated"),
        pytest.param("can someone more senior look at this", id="someone-senior"),
        pytest.param("I need somebody in charge, this is wrong", id="somebody-in-charge"),
    ],
)
async def test_v20_v21_families_escalate(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("the last delivery put me through hell", id="put-through-hell"),
        pytest.param("does priority boarding put us through security faster?", id="through-security"),
        pytest.param("who is in charge of the loyalty emails? I'd like to unsubscribe", id="who-in-charge"),
    ],
)
async def test_v20_v21_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


# Plain openers are most of real traffic and few of the labelled sets: the model must not
# read "I need help" as "I need a person".
OPENERS = [
    "Hello, I need help with a payment.",
    "Hi, I need help with my order",
    "I need some help please",
    "help with a refund please",
    "Hello, I have a question about my bill",
    "Hi there, can you help me with my account?",
    "I need assistance with a delivery",
    "hi i need help changing my address",
    "Good morning, I need some help with my booking",
    "hey can u help me with something",
    "I have a problem with my subscription",
    "Hello, I'd like some help with a return",
    "need help with login",
    "Hi, quick question about my last invoice",
]


@pytest.mark.parametrize("text", OPENERS)
async def test_plain_openers_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("pwede po makausap ng tao", id="tagalog"),
        pytest.param("why can't I talk to anybody??", id="why-cant-i"),
    ],
)
async def test_v22_families_escalate(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ESCALATE


# Phone-typed requests: short, misspelt, "pls" - and about an order, not a person.
SHORTHAND = [
    "pls cancl my ordr",
    "wheres my parcl pls",
    "chnge my adress pls",
    "pls send recipt",
    "cncl subscrption",
    "need 2 change delivry date",
    "pls refnd my ordr",
    "updte my card pls",
]


@pytest.mark.parametrize("text", SHORTHAND)
async def test_phone_typed_requests_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW


async def test_a_negated_request_without_why_stays_quiet(resources: Resources) -> None:
    decision = await rail(resources).check("i cant talk to anyone about this, it's private", CTX)

    assert decision.action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("the meter reading was estimated, can I submit a real one?", id="submit-real-one"),
        pytest.param("how do I apply for the staff discount card?", id="staff-discount"),
    ],
)
async def test_v25_look_alikes_stay_quiet(resources: Resources, text: str) -> None:
    assert (await rail(resources).check(text, CTX)).action is Action.ALLOW
