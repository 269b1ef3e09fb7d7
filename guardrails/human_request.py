"""The ``human_request`` input guardrail: the customer asks for a person, and gets one.

Always honoured: any explicit ask escalates with reason ``customer_request``. Explicit
means a request shape around a word for a person ("can I speak to a manager", "get me a
real person", "transfer me to an agent", "I don't want to talk to a bot"), or a message
that is nothing but such a word and filler ("agent", "human pls", "REPRESENTATIVE!!").
Other senses stay quiet: "I'm human resources manager", "the agent in my order said",
"my network operator", "I talked to someone yesterday", "I don't need an agent".

Typos are tolerated by mapping every word within one edit of a person word ("agnet",
"represenative", "humna", "supervsior") to it before the patterns run; the neighbour
table is built once, so a message costs one dictionary lookup per word. Long words get a
two-edit budget against "representative" and "supervisor" ("reprasentitive"), computed
on demand and cached.

When the patterns find nothing, the escalation classifier (``guardrails.text_classifier``)
gives a second opinion: a probability of a request at or above the policy's threshold
escalates with kind ``model`` ("I'd prefer to discuss this with one of your colleagues").
It can only add a request, never silence one, and ``ignore_patterns`` silence it too.

Stateless: only the newest message is judged. Annotations: ``severity``, ``kind``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import ClassVar

from pydantic import Field

from guardrails.base import Decision, Params, ReasonCode, RegexList, TurnContext
from guardrails.handoff import Severity, carry_on, escalate
from guardrails.lexicon import NEGATORS, edits1, words
from guardrails.resources import Resources
from guardrails.text_classifier import ModelOpinion

# Canonical word -> spellings. Typos within one edit of the long ones are added by code.
_PERSON_WORDS = {
    "agent": ("agent", "agents", "agnet", "agen"),
    "rep": ("rep", "reps", "representative", "representatives", "represenative", "reprasentative",
            "representitive", "repersentative", "representive", "reprensentative", "reprsentative"),
    "human": ("human", "humans", "humna", "huma", "hooman", "humen", "humann"),
    "person": ("person", "persons", "peron", "perosn", "persn", "pesron", "personn", "ppl", "lady",
               "gentleman"),
    "operator": ("operator", "operater", "oprator", "opperator"),
    "manager": ("manager", "managers", "supervisor", "supervisors", "manger", "managr", "supervisr",
                "supervsior", "superviser", "boss", "responsible", "responsable"),
    "staff": ("staff", "employee", "employees", "advisor", "adviser", "associate", "colleague", "clerk",
              "pharmacist", "receptionist", "officer", "caseworker", "consultant", "consultants"),
    "someone": ("someone", "somebody", "anyone", "anybody", "somone", "someome", "sumone", "some1", "sum1",
                "som1", "sumbody", "smone"),
    "talk": ("talk", "speak", "chat", "talking", "speaking", "chatting", "tlak", "speek", "spek", "soeak",
             "spk", "speal", "tallk"),
}  # fmt: skip
_FUZZY = (
    "agent",
    "representative",
    "human",
    "person",
    "operator",
    "manager",
    "supervisor",
    "someone",
    "somebody",
)
_REAL_WORDS = frozenset((
    "managed", "manages", "manger", "gent", "argent", "humane", "persona", "parson", "someones",
    "agenda",
))  # fmt: skip
# Phone shorthand read as the word: "can u connect me w an actual person".
_SHORTHAND = {"w": "with", "wit": "with", "u": "you", "ya": "you", "ur": "your", "2": "to", "pls": "please",
              "plz": "please", "plss": "please", "pleaseee": "please", "telephone": "phone"}  # fmt: skip
# Multi-word phrases folded to one word before the patterns run.
_FOLD = [
    (re.compile(r"\bhuman (?:resources|error|rights|nature|body|being s)\b"), "hr"),
    # Not a request for a person: a carrier's fee, someone to sign for a parcel.
    (
        re.compile(
            r"\boperator (?:fee|fees|charge|charges|code|codes|network|settings|lock|locked|billing)\b"
        ),
        "carrier",
    ),
    (
        re.compile(
            r"\b(?:person|someone|human|staff|agent) "
            r"(?:to|who can|that can|who will|will|must|needs to|has to) "
            r"(?:sign|collect|pick|receive|accept|be home|be there|be in|be present|be at home)\b"
        ),
        "recipient",
    ),
    (re.compile(r"\bsomeone real\b|\breal someone\b|\b(?:real|actual|live) people\b"), "human"),
    (
        re.compile(r"\b(?:customer|client) (?:services?|support|care)\b|\blive (?:talk|support|help)\b"),
        "staff",
    ),
    (re.compile(r"\b(?:member of (?:staff|your team|the team)|staff member|team member)\b"), "staff"),
    (
        re.compile(
            r"\b(?:staff|support|service|care|helpdesk|help desk|sales|billing|complaints|accounts) "
            r"(?:team|department|dept|desk)\b|\byour team\b"
        ),
        "staff",
    ),
    # "a real one" is a person unless the customer is the one sending it ("the meter
    # reading was estimated, can I send a real one?")
    (
        re.compile(
            r"\bhuman being\b|(?<!send a )(?<!submit a )(?<!give a )(?<!upload a )(?<!provide a )(?<!take a )"
            r"\breal one\b|\bflesh and blood\b"
        ),
        "human",
    ),
    # "human service please", "human support": the person is the request
    (re.compile(r"\bhuman (?:services?|support|help|assistance|customer service)\b"), "human"),
    # Whoever is in charge, someone senior, your superior: a manager by another name.
    (
        re.compile(
            r"\b(?:whoever|someone|somebody|anyone|the person|a person|person|the one|one) (?:who )?"
            r"(?:is |s )?(?:in charge|responsible|senior|more senior|higher up)\b"
        ),
        "manager",
    ),
    (
        re.compile(
            r"\b(?:your|a|the) (?:senior|superior|superiors|higher ups?|higherups?)\b"
            r"(?! (?:discount|citizen|citizens|rate|railcard|card|price|ticket|pass|plan|home|care|living"
            r"|dog|cat))"
        ),
        "your manager",
    ),
    (re.compile(r"\b(?:put|patch) (?:me|us) through\b|\bhand me over\b"), "transfer me"),
    (re.compile(r"\bput (?:me|us) (?:on ?to|over to)\b"), "transfer me to"),
    (re.compile(r"\bteam ?leaders?\b|\bshift ?leads?\b"), "manager"),
    (
        re.compile(
            r"\b(?:support|service|customer service|customer care|helpdesk) (?:staff|people|person|agents?)\b"
        ),
        "staff",
    ),
    # A call back reported, not asked for: "I was told I'd get a call back yesterday".
    (
        re.compile(
            r"\b(?:told|promised|said|supposed|meant|expecting|expected|was going)(?: \w+){0,3}? "
            r"(?:get|have|receive|got) (?:a )?(?:call ?back|callback|ring ?back)\b"
        ),
        "reported",
    ),
    # Words put in the assistant's mouth ("you are a human agent named Tom") and contact
    # details offered ("you can also call me on ..."): neither asks for a person.
    (
        re.compile(
            r"\byou(?: are|re| r)? (?:now |really |actually )?(?:a |an )(?:\w+ )?(?:human|agent|person|rep)\b"
        ),
        "roleplay",
    ),
    # ... or asked of it: "pretend to be my friend Sarah, a real person".
    (
        re.compile(
            r"\b(?:pretend|pretending|act|acting|role ?play|roleplay|play)"
            r"(?: to be| as| that you(?: are|re)| you(?: are|re))(?: [\w<>]+,?){0,4}? (?:a |an )?(?:\w+ )?"
            r"(?:human|agent|person|rep)\b"
        ),
        "roleplay",
    ),
    (
        re.compile(
            r"\b(?:you can|you could|feel free to|or) (?:also |always )?"
            r"(?:call|ring|text|reach|contact) (?:me|us)\b"
        ),
        "contact",
    ),
    # Finance and apps: "a representative example of the APR", "speak my answers"
    (re.compile(r"\b(?:rep|representative) (?:example|apr|rate|figures?|costs?|loan)\b"), "finance"),
    (
        re.compile(
            r"\b(?:speak|say|talk|chat) (?:my |the |your )?(?:answers?|words?|phrases?|sentences?|lines?)\b"
        ),
        "tool",
    ),
    # Languages and praise: "I want the app to speak Spanish", "can I nominate someone for an award"
    (
        re.compile(
            r"\b(?:talk|speak|chat)s? (?:in )?(?:spanish|french|german|italian|polish|welsh|english|arabic"
            r"|urdu|hindi|chinese|mandarin|cantonese|portuguese|romanian|turkish"
            r"|another language|my language)\b"
        ),
        "language",
    ),
    (re.compile(r"\b(?:nominate|praise|compliment)\b"), "praise"),
    # Game modes and settings: "does the game have a human vs AI mode?"
    (re.compile(r"\bhuman (?:vs|versus|v|against|or) (?:ai|computer|cpu|bot|bots)\b"), "pvp"),
    (re.compile(r"\b(?:put|get) (?:me|us) in touch\b|\bbe put in touch\b"), "transfer me"),
    (re.compile(r"\bperson to person\b|\bpeer to peer\b"), "p2p"),
    # Someone else's agent: "speak to my estate agent through your app", "the travel agent".
    (
        re.compile(
            r"\b(?:estate|travel|letting|lettings|insurance|booking|shipping|customs|property|real estate"
            r"|sports|talent|literary|secret|free|double|cleaning) agents?\b"
        ),
        "broker",
    ),
    # A person word naming a feature, not a person: "manager login", "supervisor controls",
    # "a human-readable version", "agent mode".
    (
        re.compile(
            r"\b(?:agent|manager|supervisor|admin|operator|human|staff|representative|rep) "
            r"(?:login|logins|account|accounts|access|controls?|settings|mode|permissions?|roles?|dashboard"
            r"|portal|view|readable|level|licen[cs]es?|seats?|profiles?|tools?|features?|plan|tier|pin"
            r"|password|approval|override|app)\b"
        ),
        "tool",
    ),
]
_FILLER = frozenset((
    "please", "pls", "plz", "plse", "now", "a", "an", "the", "real", "live", "actual", "i", "me",
    "want", "need", "get", "give", "just", "ok", "okay", "hi", "hello", "hey", "can", "could", "may",
    "speak", "talk", "to", "with", "any", "your", "one", "asap", "immediately", "right", "for", "some",
    "send", "id", "like", "would", "talk", "chat", "yes", "yeah", "yo", "u", "you", "one", "thanks",
    "thank", "sorry", "but", "honestly", "so", "well", "um", "hmm", "already", "again", "seriously",
    "only", "ty", "thx", "tysm", "cheers", "rn", "quick", "quickly", "kindly",
))  # fmt: skip
_TARGETS = frozenset({"agent", "rep", "human", "person", "operator", "manager", "staff", "someone"})
_SENTENCE = re.compile(r"[.!?;\n]+")
# What cancels a request in the three words before it: a verb's negation ("I don't need an
# agent", "without talking to anyone"). Not "no" before a noun or "nobody" ("still no
# refund get me a human", "nobody answers so put a person on"), nor "isn't there a human?".
_REQUEST_NEGATORS = (NEGATORS - {"no", "nobody", "neither", "nor", "isnt", "arent", "wasnt", "werent"}) | {
    "no need",
    "no longer",
}
_PII_TOKEN = re.compile(r"<[A-Z][A-Z_]*?_\d{1,6}>")
_NAMED_PERSON = re.compile(r"\b(to|with) <PERSON_\d{1,6}>", re.IGNORECASE)
# A question about when people are available is answered, not escalated: "Do you have live
# chat on weekends?", "are your agents there on Sundays?" (a decision: the bot can give the
# hours; "can I talk to someone now?" or a "please" still escalates).
_AVAILABILITY = re.compile(
    r"^(?:do|does|are|is|will|when|what time|what hours|which days)\b.*\b(?:weekends?|sundays?|saturdays?|"
    r"holidays?|bank holidays?|evenings?|nights?|overnight|24 7|hours|opening|open)\b"
)
_WHO_AM_I = re.compile(r"\b(?:am i|are we|was i|were we|have i been|is this)(?: \w+)? $")
_PLEASE = re.compile(r"\b(?:please|pls|plz|now|asap)\b")
_CLAUSE = re.compile(r"[.!?;,\n]+")
# What may trail a bare request: "agent please about order 123".
_TAIL = re.compile(
    r"\b(?:about|regarding|re|for|with|on) (?:my |the |an? |this )?(?:order|account|bill|refund|"
    r"delivery|parcel|package|payment|subscription|issue|problem)\b(?: \S+){0,3}$"
)
# "staff" as a modifier is no request: "a staff parking permit", "the staff discount".
_STAFF_THINGS = (
    r"parking|permits?|discounts?|cards?|rates?|badges?|pass|passes|entrance|uniforms?|rota|id|login|portal"
)
_TARGET = rf"(?:agent|rep|human|person|operator|manager|staff(?! (?:{_STAFF_THINGS})\b))(?! s\b)"
# A run-on message that opens with the ask: "represenative pls i need help w a return".
_LEADING = re.compile(
    rf"^(?:(?:hi|hello|hey|ok|okay|um|so|sorry|yes|yeah|yo) )*(?:real |live |actual )?(?:{_TARGET}|someone)"
    r" (?:please|now|asap|thx|ty|thanks)\b"
)
_PATTERNS = {
    "talk": re.compile(
        rf"\b(?:talk|(?:have|like|want|need) (?:a |an )?(?:quick |short |proper |little )?"
        rf"(?:word|conversation|discussion|talk))"
        rf" (?:\w+ ){{0,3}}?(?:to|with) (?:\w+ ){{0,3}}?(?:{_TARGET}|someone)\b"
        # a wish to deal with a person: "I'd rather deal with a person than a bot"
        r"|\b(?:rather|prefer|want to|need to|like to|let me|can i|could i|may i|wish to)(?: to)?(?: just)? "
        rf"(?:deal|work|sort|discuss|handle|resolve|go through|go over|talk through|explain)(?: \w+){{0,2}}? "
        rf"(?:with|to) (?:\w+ ){{0,3}}?"
        rf"(?:{_TARGET}|someone)\b"
    ),
    "transfer": re.compile(
        r"\b(?:transfer|connect|escalate|forward|pass|redirect|switch) (?:me|us) (?:\w+ ){0,2}?"
        # "(put me through) to one of your staff"
        rf"(?:to|with) (?:\w+ ){{0,3}}?(?:{_TARGET}|someone)\b"
        # the case, not a thing the customer owns: "escalate this to a manager", but not
        # "transfer my subscription to someone else" or "pass it to another person"
        r"|\b(?:transfer|connect|escalate|forward|pass|redirect|switch) (?:this|my \w+|it) (?:\w+ ){0,2}?"
        rf"(?:to|with) (?:\w+ ){{0,3}}?(?<!another )(?<!my )(?:{_TARGET}|someone(?! else))\b"
        r"|\bescalate (?:this|it|me|please|now)\b|^escalate\b"
        # no destination, as a request: "put me through please", "bot, hand me over" (the
        # folds read both as "transfer me")
        r"|\btransfer (?:me|us)(?=\s*$| (?:please|pls|plz|now|asap|thanks|thx|already|quick|quickly)\b)"
        r"|\b(?:need|want|like|get|have) (?:this|it|my (?:complaint|case|claim|issue)) escalated\b"
        # no object, as a request: "transfer to live support" (not "a bank transfer to the agent")
        r"|(?:^|\b(?:please|pls|can you|could you|just|now|ok|okay) )"
        rf"(?:transfer|connect|escalate|forward|redirect|switch) (?:over )?to (?:\w+ ){{0,2}}?{_TARGET}\b"
        rf"|\b(?:be|get|getting) (?:transferred|connected|escalated|passed|put through) to (?:\w+ ){{0,2}}?"
        rf"(?:{_TARGET}|someone)\b"
    ),
    "ask": re.compile(
        r"\b(?:want|need|get|give|gimme|have|bring|fetch|request|requesting|prefer|demand|like|ask for"
        rf"|asking for) (?:me |us )?(?:a |an |the |your |to )?(?:real |live |actual |proper )?{_TARGET}\b"
        # "I've asked three times for a real person", "kept asking for a manager"
        r"|\b(?:asked|asking|requested|begged|begging|ask)(?: \w+){0,3}? for (?:a |an |the |your |to )?"
        rf"(?:real |live |actual |proper )?{_TARGET}\b"
        # "can someone from your team give me a call back"
        rf"|\b(?:{_TARGET}|someone) (?:\w+ ){{0,4}}?(?:give|gimme) (?:me|us) a "
        r"(?:call|ring|bell|buzz|callback)\b"
        r"|\b(?:get|gimme|find|fetch) (?:me|us) someone\b"
        rf"|\b(?:is|are) there (?:a |an |any )?(?:real |live |actual )?(?:{_TARGET}|someone)\b"
        r"(?! (?:on the other|there|reading|typing|behind|answering|replying|responding|on this))"
        rf"|\b(?:{_TARGET}|someone) (?:\w+ ){{0,4}}?(?:call|phone|ring|contact|email|text|reach) (?:me|us)\b"
        # a call back asked for: "kindly arrange a call back", "can I have a phone call"
        r"|\b(?:arrange|book|schedule|organise|organize|set up|request|requesting|want|need|like|get|gimme"
        r"|give (?:me|us)|have) (?:me |us )?(?:a |an )?(?:call ?back|callback|ring ?back|phone call)\b"
        # how to reach one: "how do I reach an actual human", "is there a way to contact a person"
        r"|\b(?:how (?:do|can|could|would|to) (?:i |we |one |you )?|(?:is there|any) (?:a |any )?way to "
        r"|(?:want|need|trying|tried|try) to |wanna |let me |where (?:can|do) i )"
        r"(?:reach|contact|get hold of|get through to|get in touch with|get to|call|ring|phone|email|message)"
        rf" (?:\w+ ){{0,3}}?(?:{_TARGET}|someone)\b"
        # "can I get hold of a consultant", "where do I find a human in this app"
        r"|\b(?:can|could|may) i (?:get hold of|get through to|get in touch with|reach) "
        rf"(?:\w+ ){{0,2}}?{_TARGET}\b"
        r"|\bwhere (?:can|do) i find (?:a |an )?(?:real |live |actual )?(?:human|agent|rep|staff|operator)\b"
        # "put a human on", "get someone on the line"
        r"|\b(?:put|get|bring) (?:me |us )?(?:a |an |the |your |some )?(?:real |live |actual )?"
        rf"(?:{_TARGET}|someone)"
        r"(?: \w+){0,3}? on"
        r"(?:$| (?:the line|the phone|the chat|the talk|the call|this|here|now|please|pls|asap)\b)"
        # "ring me back with a real person", "a call back from an advisor"
        r"|\b(?:call|ring|phone|callback|call back|ring back) (?:me |us )?(?:back )?(?:with|from|by) "
        rf"(?:\w+ ){{0,2}}?{_TARGET}\b"
        # "any humans around?", "is someone there"
        rf"|\b(?:any|anyone|someone) (?:real |live |actual )?(?:{_TARGET} )?"
        # ... at the end or asked for: not "someone here is having a stroke"
        r"(?:around|about|there|here|online|available|free)(?: *$| (?:to|who|that|please|pls|now|at all|"
        r"for me|with me|i can|today)\b)"
        rf"|\b(?:any|a|an) (?:real |live |actual )?{_TARGET} (?:available|free|around|online)\b"
        # "bring in a supervisor", "loop in a manager"
        r"|\b(?:bring|call|get|loop|pull|put) (?:in|over) (?:a |an |the |your |some )?"
        rf"(?:real |live |actual )?{_TARGET}\b"
        rf"|\b(?:{_TARGET}|someone) (?:\w+ ){{0,2}}?take (?:over|this)\b"
        # "can a human look at my case", "could a person please check this"
        r"|\b(?:can|could|would|will|may) (?:a |an |one of your |your |some )?(?:real |live |actual )?"
        rf"{_TARGET} (?:please )?(?:look|check|review|handle|deal|sort|help|see|read|go)\b"
        # "I'd like my complaint handled by a team leader"
        r"|\b(?:like|want|need|prefer|rather|get|have|can|could) (?:\w+ ){0,3}?"
        r"(?:handled|dealt with|looked at|reviewed|sorted|checked|answered|called back) by "
        rf"(?:a |an |the |your |one of your )?(?:real |live |actual )?{_TARGET}\b"
        # "the number for your customer services team so I can ring them"
        r"|\b(?:phone |contact |telephone )?number (?:for|of|to call|to ring|to reach) (?:\w+ ){0,3}?"
        rf"{_TARGET}\b"
        # a real one of the staff the business has: "is there a real vet I can message"
        r"|\b(?:is there|are there|can i (?:get|have)) (?:a |an |any )?(?:real|actual|live) "
        r"(?:vet|doctor|gp|nurse|pharmacist|advisor|adviser|consultant|engineer|technician|mechanic|dentist"
        r"|optician|expert|specialist|employee|worker|one) "
        r"(?:i can|we can|who can|to) (?:message|talk|speak|chat|call|ring|see)\b"
        # rank asked for: "someone senior", "someone higher up", "someone with authority"
        r"|\b(?:someone|somebody|anyone) (?:more )?(?:senior|higher up|in charge|with (?:the )?authority)\b"
        # insisting: "i said REPRESENTATIVE", "I asked for an agent"
        rf"|\bi (?:said|typed|wrote|asked for|want|need)(?: a| an| the)?(?: real| live| actual)? {_TARGET}\b"
    ),
    "refuse_bot": re.compile(
        r"\b(?:dont want|do not want|no more|stop|done with|enough of|enough with|refuse|hate|sick of)"
        r" (?:\w+ ){0,4}?(?:bot|bots|robot|robots|machine|ai|chatbot|computer|automated)\b"
    ),
    # The same asks in the languages customers switch to when the bot fails them. The
    # text is canonicalised to ASCII first ("à" and "ö" drop out, "quelqu'un" splits).
    "other_language": re.compile(
        # Spanish: "necesito hablar con una persona", "quiero un agente"
        r"\b(?:hablar|comunicarme|comunicar|pasarme|pasame|contactar) con (?:un |una |el |la |algun )?"
        r"(?:agent|operator|human|persona|humano|agente|asesor|asesora|representante|operador|operadora"
        r"|alguien|ser humano)\b"
        r"|\b(?:quiero|necesito|puedo tener) (?:un |una )?"
        r"(?:agent|human|agente|humano|asesor|asesora|persona real)\b"
        # French: "je voudrais parler à un conseiller", "parler avec quelqu'un"
        r"|\bparler (?:avec )?(?:un |une |a |au )?"
        r"(?:conseiller|conseillere|human|humain|personne|agent|operator|operateur|operatrice"
        r"|quelqu un|quelqu)\b"
        # German: "mit einem Mitarbeiter sprechen"
        r"|\b(?:einem |einer |einen )?"
        r"(?:menschen|mitarbeiter|mitarbeiterin|berater|beraterin|agenten|agent|human) (?:sprechen|reden)\b"
        # Portuguese and Italian: "falar com um atendente", "parlare con un operatore"
        r"|\bfalar com (?:um |uma )?(?:atendente|pessoa|human|humano|agent|agente|algu m|alguem)\b"
        r"|\bparlare con (?:un |una )?(?:operator|operatore|operatrice|persona|umano|agent|agente|qualcuno)\b"
        # Dutch: "met een medewerker spreken"
        r"|\bmet (?:een )?(?:medewerker|mens|persoon) (?:spreken|praten)\b"
        # Tagalog / Taglish: "pwede po bang makausap ang isang agent"
        r"|\bmakausap (?:ang |ng |sa )?(?:isang )?(?:agent|tao|human|person|operator)\b"
        # Hindi / Hinglish: "mujhe kisi insaan se baat karni hai"
        r"|\b(?:insaan|insan|aadmi|banda|agent|human|person) se baat\b"
    ),
}


# What the folds above leave where a person word meant something else: the model, which
# reads the raw words, must not overrule them.
_OTHER_SENSE = re.compile(
    r"\b(?:hr|carrier|recipient|broker|tool|reported|pvp|p2p|roleplay|contact|language|praise)\b"
)


def _negated(before: str) -> bool:
    words_ = before.split()[-3:]
    if "why" in words_:
        return False  # a demand, not a refusal: "why can't I talk to someone?"
    pairs = {" ".join(words_[i : i + 2]) for i in range(len(words_) - 1)}
    return not _REQUEST_NEGATORS.isdisjoint(words_) or not _REQUEST_NEGATORS.isdisjoint(pairs)


@cache
def _canonical() -> dict[str, str]:
    table: dict[str, str] = {}
    for canon, forms in _PERSON_WORDS.items():
        for form in forms:
            table[form] = canon
    for word in _FUZZY:
        canon = table[word]
        for typo in edits1(word):
            if typo not in _REAL_WORDS:
                table.setdefault(typo, canon)
    return table


# Long person words are misspelt further than one edit ("reprasentitive", "supervisoor"):
# words of nine letters or more are compared to them with a two-edit budget.
_LONG_WORDS = {"representative": "rep", "representatives": "rep", "supervisor": "manager"}
_LONG_MIN = 9


@lru_cache(maxsize=4096)
def _near_long(word: str) -> str | None:
    for target, canon in _LONG_WORDS.items():
        if word[0] == target[0] and _distance(word, target, limit=2) <= 2:
            return canon
    return None


def _distance(a: str, b: str, *, limit: int) -> int:
    """Levenshtein distance, giving up (returning ``limit + 1``) once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        if min(row) > limit:
            return limit + 1
    return row[-1]


class HumanRequestParams(Params):
    severity: Severity = "normal"
    typo_tolerance: bool = True
    # Tenant additions, regexes on the lower-cased message ("call me back", a brand word).
    extra_patterns: RegexList = ()
    # Regexes that veto a match (a product called "Agent Pro").
    ignore_patterns: RegexList = ()
    max_standalone_words: int = Field(default=6, ge=1, le=20)
    # The classifier catches phrasings the patterns miss; it can only add a request.
    model: ModelOpinion = ModelOpinion()


class HumanRequestGuardrail:
    name: ClassVar[str] = "human_request"
    Params: ClassVar[type[HumanRequestParams]] = HumanRequestParams

    def __init__(self, *, params: HumanRequestParams, resources: Resources) -> None:
        self._params = params
        self._table = (
            _canonical()
            if params.typo_tolerance
            else {form: canon for canon, forms in _PERSON_WORDS.items() for form in forms}
        )
        self._extra = [re.compile(p, re.IGNORECASE) for p in params.extra_patterns]
        self._ignore = [re.compile(p, re.IGNORECASE) for p in params.ignore_patterns]
        self._model = params.model.bind("human_request")
        # kind() and ruled_out() canonicalise the same sentences of one message.
        self._canon = lru_cache(maxsize=256)(self._canonical)

    def kind(self, text: str) -> str | None:
        """Which request shape the message has ("talk", "standalone", ...), or None."""
        if any(p.search(text) for p in self._ignore):
            return None
        if any(p.search(text) for p in self._extra):
            return "tenant_pattern"
        # The pii rail has already replaced names with tokens such as "<PERSON_1>": "can I
        # talk to <PERSON_1>" asks for a named person, but a token on its own ("Danke!" that
        # the NER model took for a name) is not a request for "person".
        bare = _PII_TOKEN.sub(" x ", text)
        text = _PII_TOKEN.sub(" x ", _NAMED_PERSON.sub(r"\1 someone", text))
        # Patterns run per sentence, so a negator in one ("still no parcel.") cannot
        # cancel a request in the next ("Get me a human.").
        sentences = [self._canon(sentence) for sentence in _SENTENCE.split(text)]
        for canon in sentences:
            if _AVAILABILITY.search(canon) and not _PLEASE.search(canon):
                continue
            for kind, pattern in _PATTERNS.items():
                for match in pattern.finditer(canon):
                    if kind == "talk" and _WHO_AM_I.search(canon[: match.start()]):
                        continue  # "am I talking to a human?" is bot_question's, not a request
                    if kind == "refuse_bot" or not _negated(canon[: match.start()]):
                        return kind
        # "agent", "Sorry but human pls", "representative please about order 123": a clause
        # that is nothing but a person word and filler - the first or last one, or one with a
        # "please" in it (so "my boss, the manager, wants ..." stays quiet).
        if _LEADING.search(sentences[0]):
            return "standalone"
        # Clauses of nothing but filler do not count as first or last: "manager. now."
        parts = [c for c in (self._canon(c) for c in _CLAUSE.split(bare)) if set(c.split()) - _FILLER]
        for i, clause in enumerate(parts):
            if 0 < i < len(parts) - 1 and not _PLEASE.search(clause):
                continue
            head = _TAIL.sub("", clause).split()
            content = [t for t in head if t not in _FILLER and not t.isdigit()]
            if content and len(head) <= self._params.max_standalone_words and set(content) <= _TARGETS:
                return "standalone"
        return None

    def _word(self, word: str) -> str:
        word = _SHORTHAND.get(word, word)
        hit = self._table.get(word)
        if hit is None and self._params.typo_tolerance and len(word) >= _LONG_MIN:
            hit = _near_long(word)
        return hit or word

    def ruled_out(self, text: str) -> bool:
        """The rules saw a person word in another sense ("manager login"), or a request
        shape negated ("I don't need to speak to anyone"): the model, which reads raw
        n-grams and knows no negation, must not overrule them."""
        for sentence in _SENTENCE.split(text):
            canon = self._canon(sentence)
            if _OTHER_SENSE.search(canon):
                return True
            for pattern in _PATTERNS.values():
                if any(_negated(canon[: m.start()]) for m in pattern.finditer(canon)):
                    return True
        return False

    def _canonical(self, text: str) -> str:
        canon = " ".join(self._word(w) for w in words(text))
        for pattern, replacement in _FOLD:
            canon = pattern.sub(replacement, canon)
        return canon

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        kind = self.kind(text)
        score = 0.95
        if kind is None and self._model is not None and self._params.model.judges(text):
            if any(p.search(text) for p in self._ignore) or self.ruled_out(text):
                return carry_on(self.name, text, reason="no request for a person")
            score = self._model.score(text)
            if score >= self._model.threshold:
                kind = "model"
        if kind is None:
            return carry_on(self.name, text, reason="no request for a person")
        return escalate(
            self.name,
            text,
            reason=f"the customer asked for a person ({kind})",
            code=ReasonCode.CUSTOMER_REQUEST,
            score=score,
            severity=self._params.severity,
            kind=kind,
        )
