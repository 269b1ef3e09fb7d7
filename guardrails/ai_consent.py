"""The ``ai_consent`` input guardrail: the customer says, in the chat, that they do not
want to talk to an AI ("stop the AI", "no bots please", "opt out of AI"), or that they
are happy to again ("I'm happy to use the assistant again", "opt in to AI").

An opt-out is an ESCALATE with reason ``customer_request`` (the turn goes to a person,
never to the model) and ``annotations["consent"] == "opt_out"``; the app stores the
choice, so that every later turn of this customer, on any channel, goes to people too.
An opt-in is an ANNOTATE (text unchanged) with ``annotations["consent"] == "opt_in"``.
When one message holds both, the opt-out wins: it is the choice that cannot hurt.

English, Spanish, French and German phrasings; accents and case are ignored. A phrase
only counts when the AI word ends the request ("no bots please", but not "a robot
vacuum"), and a negator just before an opt-in cancels it ("I don't consent to AI" is an
opt-out, never an opt-in). Stateless: only the newest message is judged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from guardrails.base import Action, Decision, Params, ReasonCode, RegexList, TurnContext
from guardrails.handoff import carry_on, escalate
from guardrails.resources import Resources

OPT_OUT = "opt_out"
OPT_IN = "opt_in"

_AI = (
    r"(?:ai|a i|ia|ki|bots?|chat ?bots?|robots?|roboter|machines?|maquinas?"
    r"|automated (?:assistant|system|chat)"
    r"|virtual assistant|ai assistant|assistant|asistente(?: virtual)?|assistent(?:en)?|automation"
    r"|chat ?gpt|llm)"
)
_ART = (
    r"(?:(?:an?|the|your|this|that|any|un|una|el|la|le|les|l|une|des"
    r"|einem|einer|dem|der|den|eine|einen) )?"
)
# What may follow the AI word: the end of the clause, or words that close a request.
_END = (
    r"(?=$| (?:please|pls|plz|thanks|thank you|anymore|any more|again|now|at all|ever|i want|i d like"
    r"|id like|get me|give me|just|and|so|only|for me|for this|here|today|ok|okay|bitte|mehr|por favor"
    r"|s il vous plait|svp|merci|gracias|danke)\b)"
)
_LEAD = r"(?:^|(?:please|pls|just|ok|okay|hi|hello|hey|sorry|thanks|and|so|um|oh|yes|no) )"

_OPT_OUT_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        # "stop the AI", "turn off the bot", "disable the chatbot"
        rf"(?<!dont )(?<!do not )(?<!never )\b(?:stop|end|disable|turn off|switch off|quit|cancel|kill|pause)"
        rf" (?:using )?{_ART}{_AI}{_END}",
        rf"\b(?:turn|switch) {_ART}{_AI} off\b",
        # "no bots please", "no more AI", "no AI for me"
        rf"{_LEAD}*no (?:more )?{_AI}"
        r"(?: (?:please|pls|plz|thanks|thank you|at all|for me|whatsoever|ever))*$",
        # "I don't want to talk to a bot", "I do not want an AI", "I don't consent to AI"
        rf"\b(?:dont|do not|don t|never) (?:want|wish|like|consent|agree)(?: (?:to|that|for))?"
        rf"(?: (?:talk|speak|chat|deal|interact|communicate|be served|be helped|use|be handled))?"
        rf"(?: (?:to|with|by))? (?:the use of )?{_ART}{_AI}{_END}",
        rf"\b(?:id|i d|i would) rather not (?:talk|speak|chat|deal) (?:to|with) {_ART}{_AI}{_END}",
        rf"\b(?:refuse|object) to (?:talk|speak|chat|be served|deal)(?: (?:to|with|by))? {_ART}{_AI}{_END}",
        rf"\b(?:dont|do not|never) (?:use|send me to|connect me to|put me through to) {_ART}{_AI}{_END}",
        # "opt out of AI", "opting out of the chatbot"
        rf"\bopt(?:ing|ed)? ?out (?:of|from) (?:the use of )?{_ART}{_AI}{_END}",
        rf"\b(?:not|no) (?:talking|speaking|chatting) (?:to|with) {_ART}{_AI}{_END}",
        # Spanish, French, German
        rf"\bno quiero (?:hablar|chatear|tratar) con {_ART}{_AI}{_END}",
        rf"\b(?:sin|no mas) {_AI}{_END}",
        rf"\bje ne veux (?:pas|plus) (?:parler|discuter|chatter) (?:a|avec) {_ART}{_AI}{_END}",
        rf"\bpas de {_AI}{_END}",
        rf"\bich (?:will|mochte|moechte|mag) (?:nicht|keine?n?) (?:mit )?{_ART}{_AI}"
        r"(?: (?:sprechen|reden|chatten|schreiben))?\b",
        rf"{_LEAD}*keine? {_AI}(?: (?:bitte|mehr|danke))*$",
    )
)

_OPT_IN_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        # "I'm happy to use the assistant again", "I'm fine with the bot"
        rf"\b(?:im|i am|i m) (?:happy|ok|okay|fine|glad|good|comfortable|willing|alright)"
        rf"(?: (?:to|with))?(?: (?:use|using|talk to|talking to|chat with|chatting with|speak to"
        rf"|speaking to|continue with|go with|try))? {_ART}{_AI}{_END}",
        # "opt in to AI", "opt back in"
        rf"\bopt(?:ing|ed)? ?(?:back )?in(?:to| to)? {_ART}{_AI}{_END}",
        r"\bopt(?:ing|ed)? back in\b",
        # "I consent to AI", "I agree to the assistant"
        rf"\b(?:consent|agree) to (?:the use of |using |talking to |talk to )?{_ART}{_AI}{_END}",
        rf"\b(?:turn|switch) {_ART}{_AI} (?:back )?on\b",
        rf"\b(?:start|resume|restart|enable|turn on|switch on) {_ART}{_AI} again\b",
        rf"\b(?:let me|id like to|i d like to|i want to|i would like to) (?:use|talk to|chat with|try)"
        rf" {_ART}{_AI} again\b",
        rf"\b{_ART}{_AI} is (?:fine|ok|okay|good) (?:with|for|by) me\b",
        # Spanish, French, German
        rf"\bacepto (?:hablar con |usar )?{_ART}{_AI}{_END}",
        rf"\bj accepte (?:de parler avec |d utiliser )?{_ART}{_AI}{_END}",
        rf"\bich bin mit {_ART}{_AI} einverstanden\b",
    )
)
_NEGATED_OPT_IN = re.compile(r"\b(?:not|dont|do not|never|no longer|nicht|pas|no) (?:\w+ ){0,2}$")
_SPLIT = re.compile(r"[.!?;:\n]+|\bbut\b|\bpero\b|\bmais\b|\baber\b")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_DOTTED_AI = re.compile(r"\b([AaKkIi])\.\s?([IiAa])\.?(?=\W|$)")  # "A.I.", "K.I.", "I.A."


def normalise(text: str) -> str:
    """Lower case, accents removed, "A.I." -> "ai", punctuation to single spaces."""
    decomposed = unicodedata.normalize("NFKD", _DOTTED_AI.sub(r"\1\2", text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", plain).strip()


class AiConsentParams(Params):
    # Tenant additions, regexes on the normalised message (lower case, no accents).
    extra_opt_out: RegexList = ()
    extra_opt_in: RegexList = ()


class AiConsentGuardrail:
    name: ClassVar[str] = "ai_consent"
    Params: ClassVar[type[AiConsentParams]] = AiConsentParams

    def __init__(self, *, params: AiConsentParams, resources: Resources) -> None:
        self._extra_out = tuple(re.compile(p) for p in params.extra_opt_out)
        self._extra_in = tuple(re.compile(p) for p in params.extra_opt_in)

    def choice(self, text: str) -> str | None:
        """``opt_out``, ``opt_in`` or None for what ``text`` says about talking to an AI."""
        # "A.I." is joined first, so that its dots do not split the sentence.
        clauses = [normalise(part) for part in _SPLIT.split(_DOTTED_AI.sub(r"\1\2", text))]
        clauses = [clause for clause in clauses if clause]
        if any(p.search(c) for c in clauses for p in (*_OPT_OUT_PATTERNS, *self._extra_out)):
            return OPT_OUT
        for clause in clauses:
            for pattern in (*_OPT_IN_PATTERNS, *self._extra_in):
                match = pattern.search(clause)
                if match and not _NEGATED_OPT_IN.search(clause[: match.start()]):
                    return OPT_IN
        return None

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        choice = self.choice(text)
        if choice == OPT_OUT:
            return escalate(
                self.name,
                text,
                reason="the customer does not want to talk to an AI; a person answers from now on",
                code=ReasonCode.CUSTOMER_REQUEST,
                score=0.95,
                severity="normal",
                consent=OPT_OUT,
                kind="ai_opt_out",
            )
        if choice == OPT_IN:
            return Decision(
                guardrail=self.name,
                action=Action.ANNOTATE,
                text=text,
                reason="the customer agreed to talk to the AI assistant",
                score=0.9,
                annotations={"consent": OPT_IN, "kind": "ai_opt_in"},
            )
        return carry_on(self.name, text, reason="nothing said about consent to AI")
