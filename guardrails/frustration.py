"""The ``frustration`` input guardrail: an angry or worn-out customer goes to a person.

VADER (``vaderSentiment``, its lexicon loaded from the installed package) scores general
negativity, but scores customer-service complaints as neutral: "This is the third time
I'm contacting you!!!" gets 0.0. So the message score combines, as independent evidence
(noisy-OR: ``1 - prod(1 - w)``), VADER's negativity with:

* cues VADER misses: repeated contact, waiting, being ignored, demands, threats to leave,
  the bot not helping, customer-service anger words ("fed up", "unacceptable");
* profanity and insults (also severity ``high``);
* intensity - capitals, "!!!", "??" - which only amplifies negative evidence, so
  "THANK YOU!!!" stays calm.

The escalation classifier (``guardrails.text_classifier``) then gives a second opinion on
the message. At or above its threshold it confirms a message the cues find somewhat
negative (``complaint_level``); at or above ``model_alone`` it needs no cue ("you lot are
a bunch of cowboys"), because below that it overreads plain questions ("where is my
parcel now?"). Below ``model_veto`` a moderate score built from cues is held just under
the threshold (a calm message that happens to use a cue word); strong evidence (from
``high_threshold`` up) and a tenant's own ``extra_cues`` are never vetoed.

The trend over the conversation then lifts a negative message: the highest of the last
few scores and the number of earlier complaints add evidence, but only when the new
message is itself negative (``complaint_level``), so "ok thanks" after an angry turn
never fires, and a message is never judged twice.

State, ``ctx.state["frustration"]`` (returned in ``annotations["state"]`` every turn)::

    {"scores": [0.31, 0.62],  # last ``history`` message scores, oldest first
     "complaints": 2,         # messages at or above complaint_level since the last escalation
     "turns": 7}              # customer messages judged

It is reset (scores and complaints) when the detector escalates, so one bout of
frustration escalates once.

A crisis message (one the self-harm or medical-emergency lexicon matches) is left to the
``sensitive_topic`` rail: "I hate myself and want to die" is despair, not a complaint.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any, ClassVar

from pydantic import Field, field_validator
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from guardrails.base import Decision, Params, ReasonCode, TurnContext, check_regex
from guardrails.handoff import Severity, carry_on, escalate, state_of
from guardrails.lexicon import clauses, crisis_topics, words
from guardrails.resources import Resources
from guardrails.text_classifier import ModelOpinion

STATE_KEY = "frustration"

_N = r"(?:second|third|fourth|fifth|sixth|2nd|3rd|4th|5th|6th|\d+th|umpteenth|hundredth|millionth|nth|10th)"
# (group, weight, pattern on the lower-cased, apostrophe-free words joined by spaces)
_CUES: tuple[tuple[str, float, str], ...] = (
    ("repeat_contact", 0.6, rf"\b{_N} time\b|\b(?:how many|so many|countless|multiple|several|numerous|"
     r"\w+ different) times\b|\bagain and again\b|\bover and over\b|\byet again\b|\bkeep (?:asking|telling|"
     r"calling|getting|saying|repeating|explaining|being (?:passed|sent|told|transferred))\b|"
     r"\bevery (?:single )?time (?:i|we)\b|\bchas(?:ing|ed) (?:this|it|you|them|up|my)\b|"
     r"\b(?:pass|bounc|push|shunt|send|sent)\w* (?:me |us )?(?:around|round|from pillar to post|"
     r"back and forth)\b|\b(?:round|around) in circles\b|\brun ?around\b|"
     r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten) (?:calls|emails|messages|chats|"
     r"phone calls|letters|complaints|attempts|tries)\b|\b(?:explained|asked|told you|said|"
     r"written|called|contacted|emailed|messaged|chased)(?: this| you| it| about this| about it)? (?:twice|"
     r"\d+ times|three times|four times|five times|several times|many times|multiple times)\b"),
    ("already_said", 0.3, r"\b(?:already|i have|ive) (?:told|explained|asked|said|called|contacted|sent|"
     r"given|provided|tried|done)\b|\bas i said\b|\bi said\b"),
    ("waiting", 0.45, r"\bstill (?:nothing|no|not|waiting|havent|hasnt|doesnt|dont|isnt|broken|missing|"
     r"no sign|charged|unresolved)\b|\b(?:waited|waiting|been waiting) (?:for )?(?:\w+ )?(?:\w+ )?(?:days|"
     r"weeks|months|hours|ages|forever|an hour)\b|\b(?:over|almost|nearly|more than) (?:a|an|one|two|"
     r"three|four|five|six|\d+) (?:weeks|months|week|month)\b|\b(?:for|takes|taking|taken|took) (?:ages|"
     r"forever)\b|\bon hold (?:for )?(?:over |almost |nearly |more than |about )?(?:\d+|an?|one|two|three|"
     r"half an) (?:hours?|hrs?|minutes|mins)\b|\b(?:\d+|two|three|four|five|six|a|one) (?:days|weeks|months|"
     r"week|month)(?:(?: later| on| now)(?: and)?| and)(?: still)? (?:no|nothing|not|zero)\b"
     r"(?! (?:problem|worries|rush|hurry|charge))"),
    # "nobody at your company seems to care", but not "no one answered the door".
    ("ignored", 0.5, r"\b(?:no one|nobody|noone) (?:\w+ ){0,4}?(?:answers?|answered|reply|replies|replied|"
     r"respond|responds|responded|gets? back|got back|call|called|calls|help|helps|helped|cares?|is helping|"
     r"picks? up|picked up|bothered|bothers|reads|read|listens|listen|understands|knows|can help|could help|"
     r"will help|"
     r"seems to care|is able to help)\b(?! (?:the |my |our )?(?:door|doorbell|bell|buzzer|intercom|gate))|"
     r"\bnever (?:got|heard|received|answered|replied|responded|called)(?: back)?\b|"
     r"\b(?:no|zero|not a single|not one) (?:reply|replies|response|responses|answer|answers|update|updates|"
     r"call back|callback|email back)\b|\b(?:is|are) (?:no one|nobody) (?:helping|listening|responding|"
     r"answering)\b|\bignor(?:ed|ing) "
     r"(?:me|my)\b|\bnot (?:answering|responding|replying)\b|\bghost(?:ed|ing)\b"),
    ("anger", 0.55, r"\bfed up\b|\bsick (?:and tired|of)\b|\bhad enough\b|\benough is enough\b|\bfuming\b|"
     r"\bfurious\b|\blivid\b|\boutraged?\b|\bdisgust(?:ed|ing)\b|\bappalled\b|\bunacceptable\b|"
     # ... but "ridiculous value", "ridiculous comfy" are praise
     r"\bridiculous\b(?! (?:good|cheap|comfy|comfortable|tasty|soft|fast|quick|easy|value|cute|nice))|"
     r"\babsurd\b|\boutrageous\b|\ba joke\b|\bpathetic\b|\buseless\b|\bhopeless\b|"
     r"\bincompeten\w*|\bnegligen\w*|\binept\w*|\bdisgrace\w*\b|\bshambles\b|\bworst\b|\bnightmare\b|\bunbelievable\b|"
     r"\brip ?off\b|\bscam\b|\bwaste of (?:my )?(?:time|money)\b|\bbeyond (?:frustrat\w+|annoyed|angry)\b|"
     r"\b(?:so|really|very|extremely|incredibly|utterly|completely) (?:frustrat\w+|angry|annoy\w+|upset|"
     r"pissed)\b|\b(?:dont|doesnt|do not|does not) (?:even |really )?care\b|\bi swear\b|"
     r"\bfor the love of god\b|\bthe last straw\b|"
     r"\bfor (?:gods?|christs?|heavens?|petes?|fucks?|fs?)(?: s)? sake\b|"
     r"\bfor crying out loud\b|"
     # "paying for this garbage", not "the garbage disposal"
     r"\b(?:this|that|such|absolute|total|complete|utter|pure|overpriced) (?:garbage|rubbish|trash|junk)\b"
     r"(?! (?:bag|bags|bin|bins|disposal|can|cans|collection|day|truck))|\blosing my (?:patience|mind)\b|"
     # "I'm done." is anger, "I'm done, thanks that's everything" is a goodbye.
     r"\bi(?: a)?m done\b(?! (?:thanks|thank|that|for now|here|now|shopping|ordering|cheers|bye))|"
     r"\btired of (?:it|this|that|\w+ing|the|your|you|all)\b|"
     r"\bgetting (?:really |very |so |quite |beyond )?(?:frustrating|annoying|ridiculous|silly|old|tiresome|"
     r"tedious|exhausting|out of hand|beyond a joke|absurd)\b|\bthis is (?:insane|crazy|madness|nuts)\b|"
     r"\b(?:absolute|complete|total|utter) (?:disaster|farce|mess|shambles|joke|fiasco|nightmare|failure)\b|"
     r"\bdisaster\w*\b|\bappalling\b|\batrocious\b|\babysmal\b|\bhorrendous\b|\bdiabolical\b|"
     r"\bshocking (?:service|experience|company)\b|\bterrible (?:service|experience|company|support)\b|"
     # "you've ruined my daughter's birthday": harm done to an occasion
     r"\b(?:ruin|ruined|ruining|wrecked|spoiled|spoilt) (?:my|our|the|his|her|their) (?:\w+ ){0,2}?(?:day|"
     r"birthday|holiday|christmas|weekend|wedding|plans|anniversary|evening|trip|party|surprise)\b|"
     r"\bthanks for nothing\b|"
     r"\bend of my (?:rope|tether)\b|\bwits end\b|\b(?:so|completely|totally|absolutely|just) done with\b|"
     r"\bhad it with\b|\bcant take (?:it|this|any ?more)\b|\bwast(?:e|es|ing|ed) (?:of )?(?:my|our) "
     r"(?:time|money|day|evening|life)\b"),
    # How hard it is to get anything done: "I can't believe how hard it is to get a refund".
    ("effort", 0.5, r"\bhow (?:hard|difficult|complicated) it is to\b|\bcant believe (?:how|that|this|you|it|"
     r"what|i have|ive|its|im|i am|i paid|i was|were|we)\b|\bwhy is (?:it|this) so (?:hard|difficult)\b|"
     r"\bshouldnt be (?:this|so) "
     r"(?:hard|difficult)\b|\bimpossible to (?:get|reach|speak|talk|contact)\b"),
    # Mild on their own; they add to other cues ("three weeks and no refund. not happy.").
    ("displeasure", 0.3, r"\bnot (?:happy|impressed|pleased|satisfied|good enough|acceptable)\b|\bunhappy\b|"
     r"\bsmh\b|\bsomething (?:always )?(?:goes|went) wrong\b|"
     r"\bkeeps? happening\b|\bhappened again\b|\bhappens (?:every|all the) time\b|\bsame (?:thing|problem|"
     r"issue) again\b"),
    ("demand", 0.45, r"\b(?:refund|money back|my money|fix (?:this|it)|answer|reply|respond) "
     r"(?:now|immediately|asap|"
     r"right now|today)\b|\bi demand\b|\bthis instant\b|"
     # "REFUND ME NOW", "i want my money back. today.", "answer the question!!"
     r"\b(?:refund|pay|reimburse|compensate|answer|help|call) (?:me|us) (?:back )?(?:now|immediately|asap|"
     r"right now|today|this minute)\b|\bwant (?:my money|my refund|a refund|my \w+)(?: back)? (?:now|today|"
     r"immediately|asap|this minute|right now)\b|\b(?:just )?answer (?:the|my) (?:question|message|email)\b|"
     r"\bjust answer\b|\bread (?:my|the) (?:message|question)\b"),
    # "I'm not asking again", "last time I'm telling you": an ultimatum
    ("ultimatum", 0.5, r"\b(?:not|wont|will not|never) (?:going to |gonna )?(?:ask|asking|say|saying|tell|"
     r"telling|repeat|repeating|explain|explaining) (?:this |it |you |myself )?again\b|"
     r"\blast time (?:im|i am|i will|ill) (?:ask|asking|tell|telling|say|saying)\b|"
     r"\bfinal (?:warning|chance)\b"),
    # Blame: "because YOUR system was down", "your mistake, not mine".
    ("blame", 0.4, r"\b(?:your|ur) (?:fault|mistake|error|screw ?up|cock ?up|incompetence)\b|"
     r"\bbecause of (?:you|your \w+)\b|"
     r"\b(?:you|u) (?:people|guys|lot) (?:messed|screwed|broke|lost|ruined)\b|"
     r"\bbecause (?:your|ur) (?:\w+ )?(?:was|is|were|went) (?:down|broken|wrong|offline|not working)\b"),
    # How long it has been: mild alone ("it's been a week, any news?"), adds to other cues.
    ("elapsed", 0.3, r"\b(?:its|it has|it s) been (?:over |almost |nearly |more than )?"
     r"(?:a|an|one|two|three|four|five|six|\d+) (?:week|weeks|month|months)\b"),
    # Urgency alone is not frustration ("is a person there right now?"); next to other cues it adds.
    ("urgency", 0.25, r"\bright now\b|\bimmediately\b|\basap\b"),
    ("leaving", 0.5, r"\bnever (?:order\w*|buy\w*|shop\w*|us\w*|com\w*) (?:from|with|here|again)\b|"
     r"\b(?:switching|moving|going|switch) to (?:a |another |your )?(?:competitor|another|someone else)\b|"
     r"\b(?:bad|1 star|one star|negative|terrible) review\b|"
     r"\bor (?:else|i will|ill|im|i am) (?:going to |gonna )?(?:cancel\w*|leav\w*|clos\w*|report\w*|"
     r"switch\w*|tak\w*|go\w* to)\b|\bi mean it\b|\b(?:tell|telling|warn) (?:everyone|all my|"
     r"people|my friends)\b|\blost a customer\b|\blast time i (?:ever )?(?:order|buy|use|shop)\w*\b|"
     r"\b(?:lost|losing) (?:my|our) (?:business|custom)\b|\bnever (?:\w+ )?(?:order\w*|buy\w*|shop\w*|us\w*) "
     r"(?:from|with) (?:you|your \w+|this \w+) again\b"),
    ("bot_failing", 0.45, r"\b(?:not|isnt|arent|you are not|youre not) (?:helping|helpful|listening|"
     r"understanding)\b|\b(?:doesnt|does not|didnt) help\b|\bno help\b|\b(?:you|bot) (?:dont|do not|"
     r"cant|cannot) (?:even )?(?:understand|listen|read|help)\b|\b(?:are you|r u) (?:even )?(?:listening|"
     r"reading|serious|kidding)\b|\bwhat is wrong with you\b|\bwhats wrong with you\b|\bpointless\b|"
     r"\bnothing (?:\w+ )?ever (?:works?|goes right|arrives|gets done)\b|\bnever works\b|"
     # the same scripted answer again
     r"\bsame (?:\w+ ){0,2}?(?:answers?|reply|replies|response|responses|script|message)\b|"
     r"\bcopy (?:and )?paste\w*|"
     r"\b(?:canned|generic|scripted) (?:answers?|repl\w+|responses?)\b"),
    # Disbelief counts only with intensity next to it: "Seriously?! AGAIN?!", not "seriously, thanks".
    ("disbelief", 0.35, r"\bseriously\b|\bnot again\b|\bagain$|\bare you kidding\b|\byou must be joking\b"),
    ("profanity", 0.55, r"\bf+u+c+k\w*|\bshit\w*|\bbullshit\b|\bdamn\w*|\bwhat the hell\b|\bthe hell\b|"
     r"\bhell is\b|\bcrap\w*\b|\bbs\b|\bbloody\b|\bpiss\w*\b|\barse\w*\b|\basshole\w*\b|\bbastard\w*\b|"
     r"\bscrew (?:you|this|it)\b|\bsucks?\b|\bwtf\b|\bwth\b|\bffs\b|\bstfu\b|\bgoddamn\w*\b|\bf ing\b"),
    ("insult", 0.6, r"\bidiot\w*\b|\bstupid\b|\bmoron\w*\b|\bdumb\b|\bclowns?\b|\bimbecile\w*\b|"
     r"\bbrainless\b|\bliars?\b|\bthie(?:f|ves)\b|\bcrooks?\b|\bcriminals?\b|\bamateurs?\b|\bjokers?\b"),
)  # fmt: skip
# "hello??? anyone???": calling into silence, on the raw text (the marks are the cue).
_IMPATIENT = re.compile(
    r"\b(?:hel+o+|hey+|anyone|anybody|someone|ping|is anyone there|are you there)\b[\w ]{0,20}\?{2,}",
    re.IGNORECASE,
)
# Relief, or a polite chaser: "finally yay", "... any update? thanks" (a bare "Thanks." after a
# complaint is no softener).
_CONTENT = re.compile(
    r"\b(?:yay|yey|hooray|hurray|woo ?hoo)\b|\bfinally (?:here|back|arrived|in stock)\b|"
    r"\b(?:any (?:update|news)|just checking|checking in|just chasing|just following up)\b.*"
    r"(?:^| )(?:thanks|thank you|thx|cheers|many thanks|much appreciated)(?: so much| in advance| again)?$"
)
_HEDGE = re.compile(
    r"\b(?:a bit|a little|slightly|somewhat|kind of|kinda|no big deal|no rush|not a big (?:deal|issue)|minor|"
    r"just letting you know|no worries)\b"
)
# Figures of speech VADER reads as violence or death: masked before it scores the message.
_IDIOMS = re.compile(
    r"\b(?:could|would|i ?d|i'd) (?:\w+ )?kill for\b|\bkill(?:ing|s|ed)? it\b|\bdying (?:to|for)\b|"
    r"\bto die for\b|\bkiller\b|\bsuicide squad\b|"
    r"\bdead (?:battery|pixels?|links?|easy|simple|zone|tired|beat|serious|set|on|good|cheap|quiet|end|"
    r"centre|center)\b|"
    r"\bdrop dead gorgeous\b",
    re.IGNORECASE,
)
# The customer's own misfortune, which VADER reads as negativity towards us: grief, illness,
# money worries, an apology for bothering us. Masked before VADER scores the message (the
# situation goes to sensitive_topic; anger about the service still shows in the cues).
_SORROW = re.compile(
    r"\b(?:died|dies|death|passed away|passed|funeral|accident|cancer|tumou?r|grief|grieving|bereaved|"
    r"mourning|anxiety|anxious|panic attacks?|depression|depressed|mental health|illness|ill|diagnosed|"
    r"disabled|disability|struggling|crying|cried|lonely|bullied|scared|afraid|worried|sorry to bother you|"
    r"sorry to trouble you|sorry for the (?:long message|trouble|bother))\b"
    r"(?: (?:is|has been|s) (?:really |very |so )?(?:bad|awful|terrible|poor))?",
    re.IGNORECASE,
)
# Angry faces and the finger: "🤬🤬🤬 where is my refund".
_ANGRY_EMOJI = re.compile("[\U0001f92c\U0001f621\U0001f620\U0001f4a2\U0001f595\U0001f47f\U0001f624]")
# A bare order at the end of the message: "... because YOUR system was down. Fix it."
_IMPERATIVE = re.compile(
    r"(?:^|[.!?]\s+)(?:just |now )?fix (?:it|this)(?: already| now)?[.!]*\s*$", re.IGNORECASE
)
_HIGH_SEVERITY = frozenset({"profanity", "insult"})
_MASKED_SWEAR = re.compile(r"\b[fs][*#@$!%]{2,}\w*|\b(?:f|sh)[*#@]+[kt]\b|[@#$%&*!]{4,}", re.IGNORECASE)
_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
_LETTER_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ACRONYMS = frozenset((
    "UPS", "DHL", "USPS", "FEDEX", "TNT", "DPD", "GLS", "USA", "UK", "EU", "ID", "PIN", "SMS", "API",
    "URL", "FAQ", "CEO", "TV", "PC", "NYC", "ETA",
))  # fmt: skip
_REPEATED_LETTERS = re.compile(r"([a-z])\1{3,}", re.IGNORECASE)


class FrustrationParams(Params):
    threshold: float = Field(default=0.45, gt=0.0, le=1.0)
    high_threshold: float = Field(default=0.85, gt=0.0, le=1.0)  # severity "high" from here
    vader_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    trend_weight: float = Field(default=0.4, ge=0.0, le=1.0)  # times the highest recent score
    complaint_weight: float = Field(default=0.12, ge=0.0, le=0.5)  # per earlier complaint, up to 3
    complaint_level: float = Field(default=0.25, ge=0.0, le=1.0)  # a message at least this negative
    history: int = Field(default=5, ge=1, le=20)
    # Tenant additions: regex (on lower-cased words without apostrophes) -> evidence weight.
    extra_cues: dict[str, float] = Field(default_factory=dict)
    # The classifier's second opinion (see the module docstring). None: the values
    # trained with the model.
    model: ModelOpinion = ModelOpinion(min_words=5)
    model_alone: float | None = Field(default=None, gt=0.0, le=1.0)
    model_veto: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("extra_cues")
    @classmethod
    def _valid_cues(cls, value: dict[str, float]) -> dict[str, float]:
        for pattern, weight in value.items():
            check_regex(pattern)
            if not 0.0 < weight <= 1.0:
                raise ValueError("extra_cues weights must be in (0, 1]")
        return value


class FrustrationGuardrail:
    name: ClassVar[str] = "frustration"
    Params: ClassVar[type[FrustrationParams]] = FrustrationParams

    def __init__(self, *, params: FrustrationParams, resources: Resources) -> None:
        self._params = params
        # Loads vader_lexicon.txt from the installed package: no network, ~10 ms, once.
        self._vader = SentimentIntensityAnalyzer()
        cues = [(group, weight, re.compile(p)) for group, weight, p in _CUES]
        cues += [("tenant", w, re.compile(p)) for p, w in params.extra_cues.items()]
        self._cues = cues
        self._crisis = crisis_topics()
        self._model = params.model.bind("frustration")
        if self._model is not None:
            trained = self._model.model.thresholds
            self._model_veto = trained["frustration_veto"] if params.model_veto is None else params.model_veto
            self._model_alone = params.model_alone or trained["frustration_alone"]

    def message_score(self, text: str) -> tuple[float, list[str]]:
        """The newest message's frustration in [0, 1] and the cue groups that fired.

        VADER costs ~50 us on a short message, less than handing it to a thread, so it
        runs inline rather than in the CPU runner.
        """
        joined = " ".join(words(text))
        evidence: dict[str, float] = {}
        for group, weight, pattern in self._cues:
            hits = len(pattern.findall(joined))
            if hits:
                # A second cue of the same kind ("waited two weeks ... still nothing") adds to it.
                evidence[group] = max(evidence.get(group, 0.0), 1 - (1 - weight) ** min(hits, 2))
        if _MASKED_SWEAR.search(text):
            evidence["profanity"] = 0.55
        if _IMPATIENT.search(text):
            evidence["impatience"] = 0.45
        if _ANGRY_EMOJI.search(text):
            evidence["emoji"] = 0.5
        if _IMPERATIVE.search(text):
            evidence["imperative"] = 0.3
        if _echoed(text):
            evidence["echo"] = 0.35
        compound = self._vader.polarity_scores(_SORROW.sub(" ", _IDIOMS.sub(" ", text)))["compound"]
        if compound < 0:
            evidence["vader"] = -compound * self._params.vader_weight
        intensity, shouted = _intensity(text)
        if any(self._vader.polarity_scores(s)["compound"] <= 0.1 for s in shouted):
            # "WHERE IS MY ORDER??": shouting a question is frustration on its own.
            evidence["shouting"] = 0.5
        elif evidence and intensity:
            evidence["intensity"] = intensity
        calm = 1.0
        for weight in evidence.values():
            calm *= 1.0 - weight
        score = 1.0 - calm
        if _HEDGE.search(joined) or (_CONTENT.search(joined) and not _HIGH_SEVERITY.intersection(evidence)):
            # "a bit annoying", "no rush", "finally yay", "any update? thanks": the customer
            # says themselves it is mild.
            score *= 0.75
        return score, sorted(evidence)

    def _second_opinion(self, text: str, message: float, cues: list[str]) -> tuple[float, list[str]]:
        assert self._model is not None
        threshold = self._params.threshold
        model = self._model.score(text)
        confirms = model >= self._model.threshold and message >= self._params.complaint_level
        if (confirms or model >= self._model_alone) and self._params.model.judges(text):
            return max(message, model, threshold), [*cues, "model"]
        vetoable = threshold <= message < self._params.high_threshold and "tenant" not in cues
        if vetoable and model < self._model_veto:
            return threshold - 0.01, [*cues, "model_veto"]
        return message, cues

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        p = self._params
        old = state_of(ctx.state, STATE_KEY)
        scores = [float(s) for s in old.get("scores", ())][-p.history :]
        complaints = int(old.get("complaints", 0))
        turns = int(old.get("turns", 0)) + 1

        parts = clauses(text)
        if any(topic.match(parts) for topic in self._crisis):
            # Despair is not a complaint: the crisis rail hands the customer over with its
            # own reply, and "frustrated" would misdescribe them to the agent.
            kept = {"scores": scores, "complaints": complaints, "turns": turns}
            return carry_on(self.name, text, reason="crisis message", state={STATE_KEY: kept})

        message, cues = self.message_score(text)
        message = round(message, 3)  # 1 - (1 - 0.45) must compare equal to a 0.45 threshold
        if self._model is not None:
            message, cues = self._second_opinion(text, message, cues)
            message = round(message, 3)
        score = message
        if message >= p.complaint_level:
            # The trend only lifts a message that is itself negative.
            prior = max(scores[-3:], default=0.0)
            score = 1 - (1 - message) * (1 - p.trend_weight * prior) * (
                1 - p.complaint_weight * min(complaints, 3)
            )
            complaints += 1
        score = round(score, 3)
        scores.append(message)
        state: dict[str, Any] = {"scores": scores[-p.history :], "complaints": complaints, "turns": turns}

        if score < p.threshold:
            return carry_on(
                self.name, text, reason="no sign of frustration", score=score, state={STATE_KEY: state}
            )
        severity: Severity = (
            "high" if score >= p.high_threshold or _HIGH_SEVERITY.intersection(cues) else "normal"
        )
        return escalate(
            self.name,
            text,
            reason=f"the customer is frustrated (score {score:.2f}; {', '.join(cues) or 'trend'})",
            code=ReasonCode.FRUSTRATION,
            score=score,
            severity=severity,
            state={STATE_KEY: {"scores": [], "complaints": 0, "turns": turns}},
            cues=cues,
            message_score=round(message, 3),
        )


def _echoed(text: str) -> bool:
    """A sentence said again in capitals: "it's been a month. A MONTH.", "refund. REFUND."."""
    sentences = [s.strip(" .!?") for s in _SENTENCE_END.split(text)]
    return any(b.isupper() and len(b) > 2 and a.lower().endswith(b.lower()) for a, b in pairwise(sentences))


def _intensity(text: str) -> tuple[float, list[str]]:
    """Capitals and punctuation: a weight that only counts next to negative evidence, and
    the sentences that are shouted (mostly capitals, with "??" or "!!")."""
    weight, shouted = 0.0, []
    for sentence in _SENTENCE_END.split(text):
        caps = [w for w in _CAPS_WORD.findall(sentence) if w not in _ACRONYMS]
        if len(caps) >= 3 and len(caps) / (len(_LETTER_WORD.findall(sentence)) or 1) >= 0.6:
            weight = max(weight, 0.35)
            if any(p in sentence for p in ("??", "!!", "?!", "!?")):
                shouted.append(sentence)
        elif caps:
            weight = max(weight, 0.15)
    if "!!!" in text:
        weight = max(weight, 0.3)
    elif "!!" in text or "?!" in text or "!?" in text:
        weight = max(weight, 0.2)
    if "??" in text:
        weight = max(weight, 0.2)
    if _REPEATED_LETTERS.search(text):
        weight = max(weight, 0.1)
    return weight, shouted
