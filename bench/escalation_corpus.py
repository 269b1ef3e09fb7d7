# ruff: noqa: E501  (a data file: one labelled phrase per entry reads better than wrapped strings)
"""The labelled corpus for ``bench/escalation_accuracy.py``.

Two parts, kept apart on purpose:

* ``tuned_messages`` / ``conversations``: generated from templates with Faker values.
  The detectors were tuned while looking at these.
* ``HELD_OUT_V1``: phrasings written separately from the templates. Its first run was
  reported untouched (see the module's git history / the report); after that run the
  lexicons were widened with its misses in mind, so it is no longer a clean test.
* ``HELD_OUT``: a second set, written after all tuning and run once, never tuned on.
  Its first run was reported; the lexicons were then widened using it, so it is now seen.
* ``HELD_OUT_V3``: a third set, written before that widening from general knowledge of
  how people phrase crisis, requests for a person, frustration and look-alike idioms.
  Scored once untouched (crisis recall 0.875); since used for tuning (2026-11-24), so it
  is a development set now. The clean test set is the newest one (see
  ``bench/escalation_accuracy.py``).

A label is the set of detectors expected to fire: ``human_request``, ``frustration``,
``bot_question``, or ``topic:<name>`` for ``sensitive_topic``. An empty set is neutral.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from faker import Faker


@dataclass(frozen=True)
class Message:
    text: str
    labels: frozenset[str]
    group: str


@dataclass
class Conversation:
    kind: str
    # (customer message, bot reply after it); expected: detector -> (first, last) turn index
    turns: list[tuple[str, str]]
    expected: dict[str, tuple[int, int]] = field(default_factory=dict)


def _m(text: str, group: str, *labels: str) -> Message:
    return Message(text, frozenset(labels), group)


# Label shorthands for the hand-written sets (v8 on).
HR = "human_request"
FR = "frustration"
BOT = "bot_question"
SH = "topic:self_harm"
ME = "topic:medical_emergency"
LEGAL = "topic:legal_threat"
BEREAVE = "topic:bereavement"
HARDSHIP = "topic:financial_hardship"
VULN = "topic:vulnerability"
FRAUD = "topic:fraud"
HARASS = "topic:harassment"


def group(name: str, labels: tuple[str, ...], texts: list[str]) -> list[Message]:
    """One label set for a list of texts: a hand-written set's section."""
    return [_m(text, name, *labels) for text in texts]


# Groups of neutral traffic, on which any escalation is a false one ("v9:hard_negative").
NEUTRAL_KINDS = frozenset({"neutral", "hard_negative", "polite", "polite_complaint"})


def is_neutral(group: str) -> bool:
    return group.rsplit(":", 1)[-1] in NEUTRAL_KINDS


class Slots:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.fk = Faker("en_US")
        self.fk.seed_instance(seed)

    def fill(self, template: str) -> str:
        values = {
            "order": f"#{self.rnd.randint(100000, 999999)}",
            "product": self.rnd.choice(PRODUCTS),
            "n": str(self.rnd.randint(2, 6)),
            "city": self.fk.city(),
            "name": self.fk.first_name(),
            "company": self.fk.company(),
            "country": self.rnd.choice(["Canada", "Germany", "Ireland", "Australia", "Mexico", "Japan"]),
            "day": self.rnd.choice(["Monday", "Tuesday", "Friday", "the weekend", "yesterday"]),
            "relative": self.rnd.choice(["mother", "father", "husband", "wife", "dad", "mum", "grandmother"]),
        }
        return template.format(**values)

    def pick(self, options: list[str]) -> str:
        return self.rnd.choice(options)


PRODUCTS = ["blender", "headphones", "jacket", "router", "sofa", "phone case", "coffee machine",
            "running shoes", "laptop bag", "desk lamp", "vacuum", "printer", "kettle", "mattress"]  # fmt: skip

# ---- explicit requests for a person -----------------------------------------------------
_HR_TALK = ["can I speak to", "I want to talk to", "let me speak with", "could I chat with", "I need to speak to",
            "put me through to", "transfer me to", "connect me with", "I'd like to talk to", "please let me talk to",
            "may I speak with", "can u connect me to", "I wanna talk to"]  # fmt: skip
_HR_NOUNS = ["a human", "a real person", "an agent", "a live agent", "a representative", "a manager", "your supervisor",
             "someone", "an operator", "a person", "customer service", "a real human being", "a human agent",
             "somebody from your team", "an actual person"]  # fmt: skip
_HR_WANT = ["get me", "I want", "I need", "give me", "can I get", "I'd like", "I demand", "I'm requesting"]
_HR_WANT_NOUNS = ["a human", "a real person", "an agent", "a live agent", "a representative", "a manager",
                  "a supervisor", "a person", "an operator", "a human being"]  # fmt: skip
_HR_ALONE = ["agent", "human pls", "REPRESENTATIVE", "operator", "real person please", "live agent", "human!!!",
             "person pls", "agent please", "Agent.", "human", "representative please", "speak to agent",
             "talk to human", "manager now", "supervisor please", "real human pls", "AGENT AGENT AGENT",
             "customer service please", "live person"]  # fmt: skip
_HR_TYPOS = ["agnet", "agnet pls", "represenative", "i want a humna", "talk to a reprasentative", "can i spek to an agent",
             "supervsior please", "let me talk to a peron", "get me an opertor", "human plz", "reprensentative pls",
             "I want to speak to a manger", "huamn please", "can I talk to a persn"]  # fmt: skip
_HR_REFUSE = ["I don't want to talk to a bot", "no more bots please", "stop the bot, I need help",
              "I'm done with this chatbot", "I refuse to talk to a machine", "I don't want to chat with an AI"]  # fmt: skip
_HR_SUFFIX = ["", "", " please", " now", "?", " about order {order}", ", this isn't working", " pls", "!"]
_HR_PREFIX = ["", "", "Hi, ", "ok ", "Honestly, ", "Sorry but ", "Hello. "]

# ---- frustration -------------------------------------------------------------------------
_FR_STRONG = [
    "This is the third time I'm contacting you about order {order}!!!",
    "I'm fed up with this. {n} weeks and still no {product}.",
    "Refund NOW. I'm sick of waiting.",
    "Nobody answers my emails. This is ridiculous.",
    "WHERE IS MY {PRODUCT}??",
    "What the hell is going on with my order {order}?",
    "You people are useless.",
    "This is a joke, {n} weeks and not a single reply.",
    "I want my money back NOW, this is unacceptable.",
    "Worst company ever, I will never order from you again.",
    "Are you even listening? I've told you {n} times already!",
    "Absolutely pathetic service, I'm furious.",
    "This is the fourth time I'm asking the same thing. Unbelievable.",
    "I've had enough of your excuses, fix it immediately!",
    "F*** this company, my {product} never arrived.",
    "What a bunch of incompetent clowns.",
    "STILL no refund after {n} weeks. Disgraceful.",
    "Seriously?? Again?? This is the worst service I've ever had.",
    "I'm losing my patience, nobody has replied in {n} days!!",
    "This is a scam, you took my money and sent nothing.",
    "Your bot is useless and you don't even care.",
    "I am so angry right now, the {product} broke after one day and no one helps.",
]
_FR_MODERATE = [
    "I've been waiting for {n} weeks and still nothing.",
    "This is the second time I'm writing about the same problem.",
    "Still no update on my refund, it's been {n} weeks.",
    "I already explained this twice, please read my messages.",
    "Nobody replied to my email from {day}.",
    "I'm really frustrated, the {product} is broken again.",
    "How many times do I have to ask for the tracking number?",
    "This is getting ridiculous, where is my order?",
    "I keep getting the same useless answer.",
    "Waited over an hour on the phone and nobody picked up.",
    "You said it would arrive {day} and still nothing!",
    "This is so annoying, the app logs me out every time.",
    "I'm fed up with these delays.",
    "Honestly this is unacceptable, I paid for express shipping.",
    "Still waiting for someone to get back to me...",
    "You're not helping at all.",
]
_FR_PREFIX = ["", "", "Hi. ", "Look, ", "Ok so ", "Hello? ", "{name} here. ", "Order {order}: "]
_FR_SUFFIX = ["", "", " Order {order}.", " It's about the {product}.", " Please sort it out.", " Thanks."]
_NEUTRAL_PREFIX = ["", "", "", "Hi, ", "Hello! ", "Quick question: ", "Hey. ", "Good morning. "]
_NEUTRAL_SUFFIX = ["", "", "", " Thanks.", " Cheers", " Thank you!", " :)"]
_FR_MILD = [  # polite complaints: not an escalation by themselves
    "Hi, my {product} arrived a bit damaged, could you help?",
    "I'm a little disappointed the delivery was late, but no big deal.",
    "Unfortunately the size is wrong, can I exchange it?",
    "The colour isn't quite what I expected, how do I return it?",
    "My parcel seems delayed, any news?",
    "The app crashed when I tried to pay, can you check?",
    "I was charged twice for order {order}, could you refund one of them?",
    "The {product} is a bit noisy, is that normal?",
    "Sadly the {product} stopped working after a month. What are my options?",
    "The delivery was late but the driver was nice. Can I get the shipping fee back?",
    "I'm not happy with the quality of the {product}, I'd like to return it.",
    "The instructions are confusing, how do I set up the {product}?",
    "It's a shame the discount code didn't work, can you apply it?",
    "I think there's a mistake on my invoice, can you take a look?",
]
# ---- sensitive topics -----------------------------------------------------------------
_TOPICS: dict[str, list[str]] = {
    "self_harm": [
        "I want to kill myself", "I don't want to live anymore", "I've been thinking about ending my life",
        "Honestly I feel suicidal", "I'm going to end it all tonight", "There's no reason to live anymore",
        "I just want to die", "I've been cutting myself again", "Everyone would be better off without me",
        "I'm thinking of taking all my pills", "I wish I was dead", "I have nothing left to live for",
        "I want to hurt myself", "I might overdose tonight", "life isn't worth living anymore, nothing matters",
        "I'm going to jump off the bridge", "I've been having suicidal thoughts for weeks",
        "no one would miss me if I died", "I can't go on living like this", "I'm ready to die",
    ],
    "medical_emergency": [
        "My son swallowed a battery from your remote", "My husband is having a heart attack",
        "I can't breathe after using your cleaning spray", "the heater caught fire and there's smoke everywhere",
        "my daughter is having a severe allergic reaction to your snack", "Please call an ambulance",
        "my dad collapsed and he's not breathing", "I think there's a gas leak from the oven you installed",
        "my wife is having a seizure", "I'm bleeding heavily from the blade", "I got an electric shock from the charger",
        "she's unconscious on the floor", "chest pain since I took the supplement", "my kid drank the bleach",
        "the carbon monoxide alarm is going off",
    ],
    "legal_threat": [
        "I'm going to sue you", "My lawyer will be in touch", "I'll take you to court over this",
        "I'm filing a complaint with the FTC", "expect legal action", "I'll report you to trading standards",
        "this is a breach of contract", "I'm contacting my attorney tomorrow", "see you in small claims court",
        "I'm considering a class action", "I'll be reporting this to the ombudsman", "I've spoken to a solicitor",
    ],
    "bereavement": [
        "My {relative} passed away last month and I need to close the account",
        "My {relative} died and I want to cancel the subscription", "I'm arranging the funeral and need the order moved",
        "I'm the executor of my {relative}'s estate", "I recently lost my {relative}", "sending the death certificate now",
        "the account holder is deceased", "my {relative} just died, how do I stop the payments",
        "I'm recently widowed and the account was in his name", "after the death of my {relative} the bills keep coming",
    ],
    "financial_hardship": [
        "I can't afford the payment this month", "I lost my job and can't pay the bill",
        "I'm struggling financially, is there a payment plan?", "I've been made redundant",
        "I'm behind on my payments", "We're in debt and the fees keep piling up", "I'm facing eviction",
        "I'm on benefits and can't pay this", "I'm completely broke until payday",
        "can I get a payment holiday, I'm in financial difficulty", "I've been laid off",
    ],
    "vulnerability": [
        "I'm disabled and can't carry the parcel upstairs", "I have dementia and get confused by the website",
        "I'm blind, the app doesn't work with my screen reader", "my mental health is really bad at the moment",
        "I'm in hospital and can't collect the package", "I'm elderly and don't use computers",
        "I've been diagnosed with cancer and need to pause my plan", "I'm hard of hearing, I can't do phone calls",
        "I'm a carer for my mum and can't be home for delivery",
    ],
    "fraud": [
        "I didn't make this purchase", "Someone hacked my account", "There's a charge I don't recognise",
        "my card was stolen and used on your site", "I got a phishing email pretending to be you",
        "my account has been compromised", "there are unauthorized transactions on my card",
        "someone changed my password and email", "I think I've been scammed", "I'm a victim of identity theft",
        "a fraudulent order was placed in my name", "someone logged into my account from another country",
    ],
    "harassment": [
        "your delivery driver keeps harassing me", "the technician made inappropriate comments",
        "someone from your store is stalking me", "my ex keeps using the account to threaten me",
        "I'm being bullied in your community forum", "the courier was racist to me",
        "I feel unsafe, your employee won't stop messaging me", "I was sexually harassed by your staff",
        "my partner hits me and controls the account", "I received threatening messages from your seller",
    ],
}  # fmt: skip
_TOPIC_PREFIX = ["", "", "Hi. ", "Sorry to bother you, ", "Hello, "]
_TOPIC_SUFFIX = ["", "", ".", ". What should I do?", " and I need help with my order {order}."]

# ---- "am I talking to a bot?" ------------------------------------------------------------
_BOTQ = ["am I talking to a bot?", "are you a real person?", "Are you human?", "is this a bot", "r u a bot",
         "bot?", "is this automated?", "who am I talking to?", "Is there a real person on the other end?",
         "human or bot?", "are you an AI?", "are you a robot", "Am I chatting with a machine?", "is this a real human",
         "are these replies automated?", "Are you real?", "is it a person or a bot", "u a bot?"]  # fmt: skip

# ---- neutral traffic and hard negatives --------------------------------------------------
_NEUTRAL = [
    "Where is my order {order}?", "How do I reset my password?", "Do you ship to {country}?",
    "What are your opening hours?", "Can I change the delivery address?", "Is the {product} available in blue?",
    "I'd like to cancel my subscription.", "How long does shipping take to {city}?", "Thanks, that helps!",
    "ok", "yes please", "Can I pay with PayPal?", "What's the warranty on the {product}?",
    "Can you send me the invoice for {order}?", "I want to return the {product}.", "Do you have a student discount?",
    "When will the {product} be back in stock?", "How do I update my card details?", "Great, thank you so much!",
    "Can I add a gift message?", "What sizes does the jacket come in?", "I need to change my email address.",
    "Can I collect the order from the {city} store?", "Is there a fee for returns?", "My name is {name}.",
    "I'd like to upgrade my plan.", "How do I unsubscribe from the newsletter?", "Can you recommend a {product}?",
    "Please cancel order {order}.", "Does the {product} come with a charger?", "perfect, thanks",
    "What's the difference between the basic and premium plans?", "Can I get a refund for {order}?",
    "How do I track my parcel?", "Is it possible to deliver on {day}?", "no that's all",
]  # fmt: skip
_HARD_NEG = [
    "The agent in my order said it would arrive {day}.", "My travel agent booked this for me.",
    "I'm a real estate agent, can I get a business account?", "Is the cleaning agent in this product safe for pets?",
    "Your delivery agent left the parcel with my neighbour.", "I spoke to an agent yesterday and the refund was processed, thanks.",
    "I'm human resources manager at {company}, we want a corporate plan.", "My mobile operator blocks your texts.",
    "The manager app keeps crashing on login.", "I'm the store manager at the {city} branch.",
    "A person from your team called me earlier, all sorted.", "The delivery person was very kind.",
    "Can a family member pick up the parcel for me?", "I don't need an agent, just the tracking link.",
    "Human error on my side, I typed the wrong address.", "Does the password manager work with Chrome?",
    "No need for a human, the bot solved it, thanks.", "My manager needs an invoice for {order}.",
    "Is this real leather?", "Are you open on {day}?", "Is the robot vacuum waterproof?",
    "I'm not a robot but the captcha keeps failing.", "Are you able to ship to {country}?",
    "this hold music is killing me lol", "I'm dying to try the new flavour!", "My phone battery died during checkout.",
    "Please kill the subscription renewal.", "I want to end my contract early.", "I'd like to end my life insurance policy.",
    "The cake was to die for!", "Sue from your team was very helpful.", "My dad's laptop died, can I get a repair?",
    "I can afford the premium plan, just want to know the difference.", "How do I change my password?",
    "Do you offer fraud protection on card payments?", "Is the smoke alarm battery included?",
    "The courier was really friendly.", "my son passed his driving test, can I add him to the policy?",
    "Can I speak to you about upgrading my plan?", "the fire tablet case is the wrong size",
    "It was ages ago that I ordered, but no rush.", "Thank you!!! You're the best!!!", "Can I talk to you later?",
    "Is there a person-to-person transfer option?", "How do I become a sales agent for your brand?",
]  # fmt: skip

# ---- held out: written separately, never used for tuning ------------------------------
HELD_OUT_V1: list[Message] = [
    *(_m(t, "held_out:human_request", "human_request") for t in [
        "Could you get a real human on the line?", "I'd prefer talking to a member of staff",
        "pls connect me to a live agent", "Need a person. Not a bot.", "is there any way to speak to someone real",
        "Give me a supervisor right now", "let me talk to an actual human being", "hand me over to an agent please",
        "I would like to be transferred to a representative", "can i get an agent on this",
        "agent!!", "operator please", "a human, please", "I'd like to chat with a real person about my bill",
        "Can someone from customer service contact me?", "speak with manager", "representitive", "humam please",
        "I need to talk to a human about my account", "I don't want a bot, I want a person",
    ]),
    *(_m(t, "held_out:frustration", "frustration") for t in [
        "Three emails and zero responses. Great job.", "I'm beyond annoyed at this point",
        "Every single time I order something goes wrong, I'm done", "This is absolutely disgusting service",
        "Why is nobody helping me??", "I've now contacted you five times", "You clearly don't care about your customers",
        "I swear to god if this isn't fixed today", "This company is a total shambles",
        "Over a month waiting for a refund. Unreal.", "I'm sick and tired of being ignored",
        "what is wrong with you people", "give me my money back you thieves", "this is the last straw",
        "For the love of god just refund me", "I am seriously pissed off",
    ]),
    *(_m(t, "held_out:polite", *()) for t in [
        "The parcel came a day late, not a big issue, just letting you know.",
        "I'd like to report a small problem with my bill.", "Minor thing: the box was dented.",
        "Could you double check my last payment? It looks a bit high.", "I'm slightly unhappy with the fit.",
        "The item was different from the photo, can I send it back?",
    ]),
    *(_m(t, "held_out:self_harm", "topic:self_harm") for t in [
        "I've decided to take my own life", "honestly I don't see the point in living",
        "I keep thinking everyone would be happier if I was gone", "I'm planning to end things tonight",
        "I want to die, nothing matters", "i'm going to hurt myself", "I'm suicidal and I don't know who to talk to",
        "I'd rather be dead than deal with any of this", "I don't want to be alive anymore",
        "tonight I'm going to kill myself",
    ]),
    *(_m(t, "held_out:medical_emergency", "topic:medical_emergency") for t in [
        "my baby swallowed one of the magnets", "my mum has collapsed and isn't responding",
        "my throat is swelling after eating your product", "there's a fire in the kitchen from your toaster",
        "help, he's having a stroke", "someone is badly injured from the ladder",
    ]),
    *(_m(t, "held_out:legal_threat", "topic:legal_threat") for t in [
        "You'll be hearing from my solicitor", "I'm taking this to court", "I will be suing your company",
        "I've reported you to the consumer protection regulator",
    ]),
    *(_m(t, "held_out:bereavement", "topic:bereavement") for t in [
        "my wife passed last week and the account is in her name", "we buried my father on Saturday",
        "my son died in March, please stop emailing him", "I'm grieving and I can't deal with this order",
    ]),
    *(_m(t, "held_out:financial_hardship", "topic:financial_hardship") for t in [
        "I don't have the money to pay this right now", "I just lost my job, can I pause payments?",
        "money is really tight, can I spread the cost?", "I can't pay my bills this month",
    ]),
    *(_m(t, "held_out:fraud", "topic:fraud") for t in [
        "there's an order on my account I never placed", "somebody used my card without permission",
        "my account was taken over", "I got a text claiming to be from you asking for my PIN",
    ]),
    *(_m(t, "held_out:harassment", "topic:harassment") for t in [
        "the engineer who came round was threatening me", "I'm being stalked by someone who works for you",
        "your rep made sexual comments to me", "I'm scared for my safety at home",
    ]),
    *(_m(t, "held_out:bot_question", "bot_question") for t in [
        "Wait, is this an automated chat?", "am i speaking to a human?", "Are you a real agent or AI?",
        "is anyone real reading this", "You're a bot aren't you", "Is this ChatGPT?",
    ]),
    *(_m(t, "held_out:neutral", *()) for t in [
        "Can I use two discount codes at once?", "My agent number for the affiliate program is 4431.",
        "Which humans-only events do you run?", "How much is the operator fee for international calls?",
        "Is the manager's special still on?", "My estate agent needs a copy of the bill.",
        "I want to speak to you about bulk pricing.", "Is a person required to sign for the parcel?",
        "Did my payment go through?", "Hey there! Quick question about sizes.", "Can the order be left at the door?",
        "What is the human-readable order ID?", "I love this product, I'm dying to get another one",
        "The battery on my laptop is dead, is it under warranty?", "the trial ended, how do I pay?",
        "Are you a franchise or company-owned?", "Is this a bot-protected form?", "The killer feature is the price!",
        "My husband wants to add his card to the account", "Where can I find my invoice?",
    ]),
]  # fmt: skip


# Written after tuning finished; run once, never tuned on.
HELD_OUT: list[Message] = [
    *(_m(t, "held_out:human_request", "human_request") for t in [
        "Can I please be put in touch with an employee?", "ring me back with a real person please",
        "i want to speak to the person in charge", "Please pass me to a human colleague",
        "any humans around? I need one", "Let me talk to somebody who can actually fix this",
        "I insist on speaking with a representative", "can you get your manager", "staff member please",
        "Put a human on please", "I need an actual agent, not automated replies", "talk to a live rep",
        "Can I be connected to your support team?", "ok i give up, real person please", "Humans only please",
    ]),
    *(_m(t, "held_out:frustration", "frustration") for t in [
        "I have literally been chasing this for a month", "Your service has been an absolute disaster",
        "no response AGAIN. what a surprise", "I'm at the end of my rope with you lot",
        "Honestly I'm disgusted by how I've been treated", "This is beyond a joke now",
        "I keep being passed around and no one can help", "Stop wasting my time and refund me",
        "5 calls, 3 emails, nothing. NOTHING.", "Why does nobody ever read what I write?!",
        "I'm so done with this company", "Fix it or I'm cancelling everything, I mean it",
    ]),
    *(_m(t, "held_out:polite", *()) for t in [
        "Not the end of the world, but my order is a day late.", "Could someone check why my refund is pending?",
        "Small issue: the lid doesn't fit perfectly.", "I'd appreciate an update when you have one.",
    ]),
    *(_m(t, "held_out:self_harm", "topic:self_harm") for t in [
        "I have the pills ready and I'm going to take them all", "I can't keep living like this, I want out",
        "I've written my goodbye letters", "i feel like ending my life", "Some days I think about killing myself",
        "what's the point of going on anymore", "I don't think I'll be alive tomorrow", "im gonna end it",
    ]),
    *(_m(t, "held_out:medical_emergency", "topic:medical_emergency") for t in [
        "my toddler ate a dishwasher tablet", "my husband fell off the ladder and isn't moving",
        "the power bank exploded and my hand is badly burned", "I think I'm having an asthma attack and can't breathe",
    ]),
    *(_m(t, "held_out:legal_threat", "topic:legal_threat") for t in [
        "I'm instructing a lawyer about this", "I will be taking legal steps", "my attorney says you're liable",
    ]),
    *(_m(t, "held_out:bereavement", "topic:bereavement") for t in [
        "the subscription belonged to my late mother", "my brother died in an accident, please close his account",
        "we lost our daughter in May and the emails keep coming",
    ]),
    *(_m(t, "held_out:financial_hardship", "topic:financial_hardship") for t in [
        "I'm out of work and can't make the payment", "the bill is more than I can afford right now",
        "I'm drowning in debt",
    ]),
    *(_m(t, "held_out:fraud", "topic:fraud") for t in [
        "someone is using my account to order stuff", "my credit card details were stolen",
        "I never authorised that £300 payment",
    ]),
    *(_m(t, "held_out:harassment", "topic:harassment") for t in [
        "your delivery guy keeps texting me creepy things", "a seller sent me abusive messages",
        "my ex is harassing me through your app",
    ]),
    *(_m(t, "held_out:vulnerability", "topic:vulnerability") for t in [
        "I have severe learning difficulties and can't follow the steps", "I'm 87 and don't understand apps",
    ]),
    *(_m(t, "held_out:bot_question", "bot_question") for t in [
        "Is this a chatbot I'm talking to?", "am i talking to an actual human", "Are you a real person or a program?",
        "be honest, are you AI?", "Is a human typing this?",
    ]),
    *(_m(t, "held_out:neutral", *()) for t in [
        "Is the agent commission included in the price?", "Does the manager edition include support?",
        "Human sizes or kids sizes?", "I need a person to sign for it, can I choose a time?",
        "What's the representative APR on the loan?", "My husband's phone died so use my number",
        "The film was killer, do you sell the soundtrack?", "I passed my exam so I'm getting the laptop now",
        "Can I speak to the delivery driver through the app?", "Is there an operator fee?",
        "Do you have live chat on weekends?", "Your bot was really helpful, thanks!",
        "I'd like to end the trial before it renews.", "Who is your shipping partner?",
        "Can you tell me the real price including tax?", "I'm a human rights lawyer looking for a gift",
        "How do I add someone else to my account?", "Is the dead bolt lock in stock?",
        "I'm going to order again next week", "My mum loves the shoes, thank you!",
    ]),
]  # fmt: skip


# ---- held out v3 -------------------------------------------------------------------------
# Written BEFORE the v2-driven widening (from general knowledge of how people phrase these
# things in support chats, not from any set's misses), run once before and once after that
# widening; used for tuning since 2026-11-24. Lower-case, typos and missing punctuation
# are deliberate.
HELD_OUT_V3: list[Message] = [
    *(_m(t, "v3:self_harm", "topic:self_harm") for t in [
        "i just dont see the point anymore", "everyone would be better off if i wasnt around",
        "I feel like such a burden to my family", "honestly I don't want to wake up tomorrow",
        "Please cancel my subscription, I won't need it where I'm going",
        "I've written letters to my kids and I'm ready", "im giving away all my stuff, can you move my account to my sister",
        "i have a bottle of pills in front of me", "I want to disappear forever", "kms",
        "tbh i want to kms", "i cant do this anymore i just want it all to stop", "Thinking of ending things",
        "i keep thinking about driving my car into a wall", "I've been stockpiling my meds",
        "this is my last message to anyone", "what's the point of living when everything goes wrong",
        "I want to sleep forever", "i wish i could just not exist", "nobody would even notice if I was gone",
        "I'm going to hurt myself", "i've been cutting again", "I'm standing on the bridge right now",
        "i bought a rope today and i know what its for", "I'm so tired of everything, I just want to go to sleep and never wake up",
        "I don't think I'll be around much longer", "i want to unalive myself",
        "soon it won't matter, I won't be here", "suicidal thoughts again tonight", "feeling sucidal tbh",
        "my refund got rejected and honestly i want to die i cant take it",
        "I'm a burden to everyone around me and they'd be happier without me",
        "goodbye. thank you for always being kind to me, you won't hear from me again",
        "i took a whole packet of pills an hour ago", "there's no way out for me except one",
        "I'm done with life", "life isn't worth it anymore", "I've decided tonight is the night",
        "i dont wanna be here no more", "i want to end it", "Can you make sure my wife gets the account after I'm gone? I've made my peace",
        "I'm thinking of jumping in front of a train", "I'm going to take my own life",
        "i just want the pain to end for good", "ive been looking up how many tablets it takes",
        "I can't see any way out except ending it", "nobody cares if i live or die",
        "I have a gun and I'm thinking of using it on myself", "I hate myself and want to die",
        "wanna end my lyfe",
    ]),
    *(_m(t, "v3:medical_emergency", "topic:medical_emergency") for t in [
        "my dad just collapsed and isn't responding", "my baby swallowed a button battery",
        "my toddler drank some bleach what do I do", "someone is having a seizure in front of me",
        "my husband's face is drooping and his speech is slurred", "I have crushing chest pain and my left arm is numb",
        "my friend overdosed and won't wake up", "there's blood everywhere, I cut my hand really deep",
        "my son is choking", "my wife can't breathe, her lips are going blue", "he's passed out on the floor",
        "my daughter ate some of the dishwasher tablets", "I think I'm having a heart attack",
        "my mum fell down the stairs and hit her head, she's not making sense",
        "allergic reaction, my throat is swelling up", "the charger exploded and my arm is badly burned",
        "kid got into the medicine cabinet and ate a bunch of pills", "my grandpa isnt breathing",
        "got stung by a bee and my whole face is swelling, cant swallow",
        "my friend took too much and she's barely conscious", "the heater is smoking and the room smells of gas",
        "im bleeding really bad",
    ]),
    *(_m(t, "v3:human_request", "human_request") for t in [
        "can i talk to a real human being please", "put a human on", "get me someone real",
        "I need an actual person to look at this", "is there a phone number I can call to speak to someone",
        "connect me with your customer service team", "i want to speak to someone in charge",
        "let me talk to your manager", "human agent", "talk to human", "I'd rather deal with a real person",
        "can a member of your team call me back", "escalate this please",
        "please pass this to someone who can actually help", "transfer me to a live person",
        "I need to speak with someone from billing", "are there any staff available to chat to me?",
        "Stop. I want a human.", "get a person on this chat", "speak to agent", "customer service rep please",
        "I want to talk to an employee", "can you get someone from your team to contact me",
        "bring in a supervisor", "put me through to someone", "no bot. person.",
        "I'd like a call back from an advisor", "can a real person take over?", "reprasentitive",
        "let me talk to somebody who knows what they're doing",
    ]),
    *(_m(t, "v3:frustration", "frustration") for t in [
        "This is absolutely ridiculous, I've been charged three times", "WHY IS MY ORDER STILL NOT HERE",
        "you people are useless", "I'm so done with this company", "worst customer service I've ever had",
        "what a joke, nobody ever gets back to me", "I've been on hold for 2 hours, this is insane",
        "are you kidding me? again??", "I'm beyond angry right now",
        "this is the fourth email I've sent and still nothing", "f***ing hell, just refund me",
        "I'm really disappointed, the package is late again", "honestly this is getting frustrating",
        "I've explained this twice already", "why does nobody read my messages",
        "this keeps happening and I'm tired of it", "You keep sending me the same useless answer",
        "I can't believe how hard it is to get a simple refund", "Your app has crashed five times today, so annoying",
        "three weeks and no refund. not happy.", "I'm getting really fed up", "this is a complete mess",
        "Seriously? That's the third wrong item.", "I've had it with you guys",
    ]),
    *(_m(t, "v3:polite", *()) for t in [
        "The parcel arrived a day late but it's fine.",
        "Slightly disappointed the colour is different from the photo, can I exchange it?",
        "The box was a little damaged, the item is ok though.",
    ]),
    *(_m(t, "v3:hard_negative", *()) for t in [
        "this deal is killer", "I'm dying to know when the sale starts",
        "I could kill for a coffee right now, anyway where's my order?", "is there an operator fee for international calls?",
        "I work in human resources, can I order for my team?", "what hours are your agents available?",
        "Do I need a person to sign for the delivery?", "I'm a human rights lawyer, do you do bulk discounts?",
        "my phone died so I couldn't reply", "the suspense is killing me, has it shipped?",
        "these prices are to die for", "I nearly died laughing at the note in the packaging",
        "my plant died, can I get a replacement under warranty?", "please end my trial",
        "how do I kill the app process on android", "I want to disappear from your mailing list",
        "how do I give away my gift card to a friend?", "My laptop battery is dead within an hour",
        "I'm going to leave a note for the courier", "can I cancel my subscription, I'm moving abroad and won't need it",
        "is the suicide squad figure back in stock?", "Do you sell a bridge for an acoustic guitar?",
        "do you sell climbing rope?", "I ordered vitamin pills, when will they arrive?",
        "is this model end of life or will it get updates?", "my chest of drawers arrived broken",
        "the heart rate monitor isn't tracking properly", "my employee discount isn't applying",
        "I don't need to talk to anyone, just send the label", "is the dog chew toy a choking hazard?",
        "my kid ate all the cookies from the gift box haha, can I reorder?", "the bleach I ordered leaked in the box",
        "it's a burden to reorder every month, can I subscribe instead?", "I'd die for these shoes in red",
        "what happens after the seizure of my package at customs?", "let's end it here, thanks for the help!",
        "goodbye and thanks for your help", "I'm done, thanks that's everything",
        "no one answered the door so the courier left a note", "the breathing exercise app won't renew",
    ]),
    *(_m(t, "v3:neutral", *()) for t in [
        "what time do you close today", "can I change the size on order 55123", "do you price match",
        "is the blue hoodie back in stock", "thanks for sorting that out!",
    ]),
]  # fmt: skip


def tuned_messages(seed: int) -> list[Message]:
    s = Slots(seed)
    out: list[Message] = []

    def hr(text: str) -> None:
        out.append(
            _m(s.fill(s.pick(_HR_PREFIX) + text + s.pick(_HR_SUFFIX)), "human_request", "human_request")
        )

    for verb in _HR_TALK:
        for noun in _HR_NOUNS:
            hr(f"{verb} {noun}")
    for verb in _HR_WANT:
        for noun in _HR_WANT_NOUNS:
            hr(f"{verb} {noun}")
    for text in [*_HR_ALONE, *_HR_TYPOS, *_HR_REFUSE] * 2:
        hr(text)
    for group, templates, labels in (
        ("frustration:strong", _FR_STRONG, ("frustration",)),
        ("frustration:moderate", _FR_MODERATE, ("frustration",)),
        ("polite_complaint", _FR_MILD, ()),
    ):
        for _ in range(8):
            for t in templates:
                t = t.replace("{PRODUCT}", s.pick(PRODUCTS).upper())
                text = s.fill(s.pick(_FR_PREFIX) + t + s.pick(_FR_SUFFIX))
                out.append(_m(text, group, *labels))
    for topic, templates in _TOPICS.items():
        reps = 10 if topic in ("self_harm", "medical_emergency") else 5
        for _ in range(reps):
            for t in templates:
                text = s.fill(s.pick(_TOPIC_PREFIX) + t + s.pick(_TOPIC_SUFFIX))
                out.append(_m(text, f"topic:{topic}", f"topic:{topic}"))
    for _ in range(5):
        for t in _BOTQ:
            out.append(_m(s.pick(["", "", "hey ", "wait, ", "Hmm "]) + t, "bot_question", "bot_question"))
    for _ in range(12):
        for t in _NEUTRAL:
            out.append(_m(s.fill(s.pick(_NEUTRAL_PREFIX) + t + s.pick(_NEUTRAL_SUFFIX)), "neutral"))
    for _ in range(4):
        for t in _HARD_NEG:
            out.append(_m(s.fill(s.pick(_NEUTRAL_PREFIX) + t), "hard_negative"))
    # Mixed: a frustrated customer who also asks for a person.
    for t in _FR_STRONG[:10]:
        out.append(_m(s.fill(t.replace("{PRODUCT}", "ORDER")) + " Get me a human.", "mixed", "frustration",
                      "human_request"))  # fmt: skip
    return list({m.text: m for m in out}.values())


# ---- multi-turn conversations ------------------------------------------------------------
_QUESTIONS = ["where is my order {order}", "how do I change my delivery address", "can I get a refund for the {product}",
              "why was I charged twice", "how do I cancel my subscription", "when will the {product} be back in stock",
              "my discount code doesn't work", "how do I reset my password"]  # fmt: skip
_GENERIC = ["Thanks for reaching out! Orders usually arrive in 3-5 working days.",
            "You can manage most things from the Account page of our website.",
            "I can help with orders, returns and billing. What would you like to do?"]  # fmt: skip
_FAILURES = ["Sorry, I didn't understand that. Could you rephrase?", "I'm not sure I understand. Can you say that again?",
             "I'm sorry, I can't help with that.", "Apologies, I didn't catch that. Could you try again?"]  # fmt: skip
_HELPFUL = ["Your order {order} shipped on {day} and should arrive in two days.",
            "I've sent a password reset link to the e-mail address on your account.",
            "Your refund for the {product} has been approved; it takes 3-5 days to show.",
            "You can change the address until the parcel ships; I've updated it for you.",
            "Your subscription is cancelled; you keep access until the end of the month."]  # fmt: skip


def _vary(s: Slots, text: str) -> str:
    variants = [text, text + "?", text.capitalize() + "??", text.upper(), text + " again", "again, " + text,
                text + "? still waiting", "hello? " + text, text + " please", "I asked: " + text]  # fmt: skip
    return s.pick(variants)


def conversations(seed: int) -> list[Conversation]:
    s = Slots(seed + 1)
    out: list[Conversation] = []
    for _ in range(40):  # the customer asks the same thing three times
        q = s.fill(s.pick(_QUESTIONS))
        turns = [(_vary(s, q), s.pick(_GENERIC)) for _ in range(3)]
        out.append(Conversation("customer_loop", turns, {"loop": (2, 2)}))
    for _ in range(30):  # the bot gives the same answer twice
        reply = s.pick(_GENERIC)
        q1, q2 = s.fill(s.pick(_QUESTIONS)), s.fill(s.pick(_QUESTIONS))
        turns = [
            (q1, reply),
            (f"no, I mean {q2}", reply),
            ("that doesn't answer my question", s.pick(_GENERIC)),
        ]
        out.append(Conversation("bot_repeat", turns, {"loop": (2, 2)}))
    for _ in range(30):  # two unhelpful bot replies in a row
        turns = [(s.fill(s.pick(_QUESTIONS)), s.pick(_FAILURES)), ("the thing I ordered, it's broken", s.pick(_FAILURES)),
                 ("my order is broken", s.pick(_GENERIC))]  # fmt: skip
        out.append(Conversation("bot_failure", turns, {"loop": (2, 2)}))
    for _ in range(30):  # frustration rising over the conversation
        turns = [
            (s.fill(s.pick(_QUESTIONS)), s.fill(s.pick(_HELPFUL))),
            (s.pick(["it's still not here, a bit annoying", "hmm that's disappointing", "that's not great tbh"]),
             s.pick(_GENERIC)),
            (s.pick(["still nothing. this is getting ridiculous", "I've been waiting for weeks now",
                     "nobody has replied to my emails either"]), s.pick(_GENERIC)),
            (s.fill(s.pick(_FR_STRONG).replace("{PRODUCT}", "ORDER")), s.pick(_GENERIC)),
        ]  # fmt: skip
        out.append(Conversation("frustration_trend", turns, {"frustration": (2, 3)}))
    for _ in range(20):  # one angry message, then calm: must fire once
        turns = [(s.fill(s.pick(_FR_STRONG).replace("{PRODUCT}", "ORDER")), s.fill(s.pick(_HELPFUL))),
                 ("ok thanks", s.pick(_GENERIC)), (s.fill(s.pick(_QUESTIONS)), s.fill(s.pick(_HELPFUL))),
                 ("fine, thanks", s.pick(_GENERIC))]  # fmt: skip
        out.append(Conversation("fires_once", turns, {"frustration": (0, 0)}))
    for _ in range(50):  # ordinary conversations, with short repeats and clarifications
        order = s.fill("{order}")
        turns = [(s.pick(["hi", "hello", "hey"]), "Hi! How can I help?"),
                 ("I want to cancel my order", "Sure, which order would you like to cancel?"),
                 (f"cancel order {order} please", f"Order {order} is cancelled."),
                 ("ok", "Anything else?"), ("yes", "What else can I help with?"),
                 (s.fill(s.pick(_QUESTIONS)), s.fill(s.pick(_HELPFUL))), ("ok thanks", "You're welcome!")]  # fmt: skip
        out.append(Conversation("neutral", turns[: s.rnd.randint(4, 7)]))
    return out
