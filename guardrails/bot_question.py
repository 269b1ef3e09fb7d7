"""The ``bot_question`` input guardrail: "am I talking to a bot?" gets a truthful answer.

The answer comes from Candor, never from the model (a model may claim to be human), and
it offers a person. The conversation stays with the bot, so the verdict is not BLOCK but
ANNOTATE, with the text unchanged and the answer in ``Decision.reply``::

    Decision(action=ANNOTATE, reply=<answer>, reason_code=POLICY,
             annotations={"answer_directly": True, "kind": "bot_question"})

ANNOTATE ranks below ESCALATE, so "are you a bot? I want a human" is escalated by
``human_request`` as it should be. The app's rule: when the input stage has no
ESCALATE/BLOCK verdict and an enforced outcome carries ``answer_directly``, send
``reply`` to the customer instead of calling the bot (and store it as a Candor message).

Hard negatives kept quiet: "are you open tomorrow?", "is this real leather?", "is the
robot vacuum waterproof?", "is this human-grade food?", "I'm not a robot, the captcha
fails". Stateless.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field

from guardrails.base import Action, Decision, Params, ReasonCode, RegexList, TurnContext
from guardrails.handoff import carry_on
from guardrails.lexicon import words
from guardrails.locale import shipped_texts, texts_for
from guardrails.resources import Resources

# The answer in the customer's language comes from guardrails/locales/ (English here).
DEFAULT_ANSWER = shipped_texts("en").bot_question

_SPLIT = re.compile(r"[.!?;\n]+")
_BOT = (
    r"(?:bot|robot|ai|a i|chatbot|chat bot|machine|computer|program|automated|automatic|chat ?gpt|gpt\w*|llm)"
)
_PERSON = (
    r"(?:(?:real |live |actual |proper )?(?:human being|human|person|agent|people)"
    r"|someone real|somebody real)"
)
# What may follow the bot/person word: the end of the sentence, "... or a human", "... I'm
# talking to", "... there", so "is this real leather" and "a robot vacuum" stay quiet.
_END = (
    r"(?=$| or | (?:i am|im|am i|that is|thats|who is|i m) (?:talking|speaking|chatting|texting|writing)"
    r"| (?:answering|replying|responding|typing|reading|writing|talking|here|there|right|really|lol|too"
    r"|huh|rn|now|right now|atm|tho|though|ngl|tbh|honestly|seriously|or not|or what)\b"
    r"| (?:arent|aren t) you"
    r"| on the other| behind)"
)
_ARTICLE = r"(?:a |an |some |the |just a |just an |even a |really a |actually a |actually |really |even )?"
_PATTERNS = (
    re.compile(rf"\b(?:are|r) (?:you|u|ya|yall) {_ARTICLE}(?:real|{_BOT}|{_PERSON}){_END}"),
    re.compile(
        rf"\b(?:am i|im|i am|are we) (?:talking|chatting|speaking|writing|texting) (?:to|with) {_ARTICLE}"
        rf"(?:real |actual |live )?(?:{_BOT}|{_PERSON}|someone real|anyone real){_END}"
    ),
    re.compile(rf"\bwho (?:am i|are we) (?:talking|chatting|speaking|writing) (?:to|with){_END}"),
    re.compile(
        rf"\bis (?:this|it|that) {_ARTICLE}(?:{_BOT}|{_PERSON}|real person|(?:live )?chat bot)"
        rf"(?: chat| service| system| reply| response| message| conversation| assistant| agent)?{_END}"
    ),
    re.compile(rf"\b(?:youre|you are|ur|u r) {_ARTICLE}{_BOT}{_END}"),
    re.compile(
        r"\b(?:is|are) (?:there )?(?:a |an )?(?:real |actual |live )?(?:person|human|someone|anyone|people) "
        r"(?:real |actually |human )?"
        r"(?:there|on the other end|behind this|reading this|typing|answering|replying|responding"
        r"|on this chat)\b"
    ),
    re.compile(rf"^(?:(?:hey|wait|hmm|so|ok|um|uh|lol|oh|and) )*(?:(?:you|u|ur) {_ARTICLE})?{_BOT}$"),
    re.compile(rf"\b(?:{_BOT}|{_PERSON}) or (?:a |an )?(?:{_BOT}|{_PERSON}){_END}"),
    re.compile(
        r"\b(?:is this|are these|are you|are your|is your) (?:chat |reply |replies |answers? |messages? "
        r"|responses? )?(?:automated|automatic|computer generated|ai generated|generated|scripted)\b"
    ),
)


class BotQuestionParams(Params):
    # The tenant's own answer, for every customer; unset: Candor's, in the customer's language.
    answer: str | None = Field(default=None, min_length=20, max_length=1000)
    # Tenant additions, regexes on the lower-cased message (a persona name: "are you ava").
    extra_patterns: RegexList = ()


class BotQuestionGuardrail:
    name: ClassVar[str] = "bot_question"
    Params: ClassVar[type[BotQuestionParams]] = BotQuestionParams

    def __init__(self, *, params: BotQuestionParams, resources: Resources) -> None:
        self._answer = params.answer
        self._extra = [re.compile(p, re.IGNORECASE) for p in params.extra_patterns]

    def asks_if_bot(self, text: str) -> bool:
        if any(p.search(text) for p in self._extra):
            return True
        for sentence in _SPLIT.split(text):
            joined = " ".join(words(sentence))
            if joined and any(p.search(joined) for p in _PATTERNS):
                return True
        return False

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        if not self.asks_if_bot(text):
            return carry_on(self.name, text, reason="no question about talking to a bot")
        return Decision(
            guardrail=self.name,
            action=Action.ANNOTATE,
            text=text,
            reason="the customer asked whether they are talking to a bot; Candor answers truthfully",
            score=0.9,
            reason_code=ReasonCode.POLICY,
            reply=self._answer or texts_for(ctx.locale, ctx.languages).bot_question,
            annotations={"answer_directly": True, "kind": "bot_question"},
        )
