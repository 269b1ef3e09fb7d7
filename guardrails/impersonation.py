"""The ``impersonation`` output guardrail: the model never passes itself off as a person.

A reply that claims to be human ("I'm a real person", "as a human agent I ...", "I'm
Sarah, a real person"), denies being a machine ("I'm not a bot"), claims a body or a
life ("I had lunch", "my kids"), or promises to hide that it is an AI ("I won't mention
I'm an AI") is caught sentence by sentence, in English, Spanish, French and German, and
per policy ``action``:

- ``rewrite`` (default): each offending sentence goes; the first is replaced by a
  truthful one in the customer's language ("I'm an AI assistant, not a person.");
- ``replace``: the whole reply (or, streamed, the piece being checked) is replaced by a
  truthful reply;
- ``block``: the turn is refused (the app sends the policy's ``refused`` text).

Why sentences and phrase patterns, not a classifier: it runs on every reply piece within
a fraction of a millisecond, and a claim of humanity is a first-person statement with a
small vocabulary. Mentions of people that are not claims stay untouched: "a human agent
will join you", "I'm an AI assistant, not a person", "our human team is available 9-5",
"the person who ordered". A streamed reply is checked per segment (app/chat/segmenter.py
cuts at sentence ends), so a claim is caught before the customer sees it.

The reason and findings never quote the reply: offsets and a kind only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Literal

import yaml
from pydantic import Field, field_validator

from guardrails.base import Action, Decision, Finding, Params, ReasonCode, RegexList, TurnContext, allow
from guardrails.locale import SHIPPED, customer_locale, normalize_tag, shipped_texts
from guardrails.resources import Resources


class ClaimKind(StrEnum):
    HUMAN = "claims_human"  # "I'm a real person", "as a human agent"
    NOT_MACHINE = "denies_ai"  # "I'm not a bot"
    BODY = "claims_body"  # "I had lunch", "my wife"
    CONCEAL = "hides_ai"  # "I won't mention that I'm an AI"
    TENANT = "tenant_pattern"  # the policy's own patterns


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: ClaimKind
    pattern: re.Pattern[str]
    score: float


_TOKEN = re.compile(r"\w+(?:[.\-]\w+)*")


@dataclass(frozen=True, slots=True)
class Trigger:
    """The words every claim needs. Looked up per word (a set and a prefix tuple), which
    costs a few microseconds where one regex alternation of them costs tens."""

    words: frozenset[str]
    prefixes: tuple[str, ...]

    def fires(self, folded_text: str) -> bool:
        return any(
            token in self.words or token.startswith(self.prefixes) for token in _TOKEN.findall(folded_text)
        )


@dataclass(frozen=True, slots=True)
class Lexicon:
    trigger: Trigger  # most sentences have none of its words
    gates: tuple[tuple[re.Pattern[str], tuple[_Rule, ...]], ...]  # per language

    @property
    def rules(self) -> tuple[_Rule, ...]:
        return tuple(rule for _, rules in self.gates for rule in rules)


LEXICON = Path(__file__).with_name("impersonation_claims.yaml")
_FRAGMENT = re.compile(r"<(\w+)>")


def load_lexicon(path: Path = LEXICON) -> Lexicon:
    """The claim patterns, with their ``<fragment>`` references filled in, grouped by
    language; a bad file fails at start-up, never on a customer's turn."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fragments: dict[str, str] = data["fragments"]

    def expand(pattern: str) -> str:
        return _FRAGMENT.sub(lambda match: fragments[match.group(1)], pattern)

    by_language: dict[str, list[_Rule]] = {language: [] for language in data["gates"]}
    for rule in data["rules"]:
        by_language[rule["lang"]].append(
            _Rule(ClaimKind(rule["kind"]), re.compile(expand(rule["pattern"])), float(rule["score"]))
        )
    gates = tuple(
        (re.compile(data["gates"][language]), tuple(rules)) for language, rules in by_language.items()
    )
    words = [str(word) for word in data["trigger"]]
    trigger = Trigger(
        words=frozenset(word for word in words if not word.endswith("*")),
        prefixes=tuple(word[:-1] for word in words if word.endswith("*")),
    )
    return Lexicon(trigger=trigger, gates=gates)


_LEXICON = load_lexicon()

# Contractions and look-alike characters undone first, so one pattern covers "I'm",
# "I’m", "Im" and "I am".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_EXPANSIONS = {"im": "i am", "i'm": "i am", "i've": "i have", "i'll": "i will", "won't": "will not"}
_EXPANSIONS |= {"you're": "you are", "there's": "there is"}
_CONTRACTION = re.compile(r"\b(?:i'?m|i've|i'll|won't|you're|there's)\b")
_MARKUP = re.compile(r"[*_~`\"“”«»„]+")
_SPACES = re.compile(r"\s+")
# Sentence ends: the pieces concatenate back to the exact input.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?=\s)|(?<=\n)")


def folded(text: str) -> str:
    """Unicode look-alikes (full-width letters ...) folded, apostrophes unified, lower case."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()


def normalized(sentence: str) -> str:
    """What the patterns read: ``folded``, markup gone, contractions expanded."""
    text = _MARKUP.sub("", folded(sentence))
    text = _CONTRACTION.sub(lambda match: _EXPANSIONS[match.group(0)], text)
    return _SPACES.sub(" ", text).strip()


class ImpersonationParams(Params):
    action: Literal["rewrite", "replace", "block"] = "rewrite"
    # Tenant additions, regexes on the lower-cased sentence (a persona's own claims:
    # "i am ava from the london office").
    extra_patterns: RegexList = ()
    # Sentences matching one of these are never flagged (a tenant's scripted phrase).
    allow_patterns: RegexList = ()
    # The tenant's truthful wording per locale ({"en": "I'm Lumi, the shop's AI."});
    # locales left out use Candor's (guardrails/locales/).
    corrections: dict[str, str] = Field(default_factory=dict)  # for one sentence
    replacements: dict[str, str] = Field(default_factory=dict)  # for a whole reply

    @field_validator("corrections", "replacements")
    @classmethod
    def _valid_wording(cls, texts: dict[str, str]) -> dict[str, str]:
        valid: dict[str, str] = {}
        for locale, text in texts.items():
            tag = normalize_tag(locale)
            if tag is None:
                raise ValueError(f"{locale!r} is not a language tag (like 'es' or 'es-MX')")
            if not 5 <= len(text.strip()) <= 500:
                raise ValueError(f"the text for {locale!r} must be 5 to 500 characters")
            valid[tag] = text.strip()
        return valid


@dataclass(frozen=True, slots=True)
class Claim:
    start: int
    end: int
    kind: ClaimKind
    score: float


class ImpersonationGuardrail:
    name: ClassVar[str] = "impersonation"
    Params: ClassVar[type[ImpersonationParams]] = ImpersonationParams

    def __init__(self, *, params: ImpersonationParams, resources: Resources) -> None:
        self._action = params.action
        self._extra = tuple(re.compile(p, re.IGNORECASE) for p in params.extra_patterns)
        self._allowed = tuple(re.compile(p, re.IGNORECASE) for p in params.allow_patterns)
        shipped = {language: shipped_texts(language).impersonation for language in SHIPPED}
        self._corrections = {**{k: v.correction for k, v in shipped.items()}, **params.corrections}
        self._replacements = {**{k: v.replacement for k, v in shipped.items()}, **params.replacements}

    def claims(self, text: str) -> list[Claim]:
        """The sentences of ``text`` that pass the model off as a person, by offsets."""
        found: list[Claim] = []
        if not self._extra and not _LEXICON.trigger.fires(folded(text)):
            return found  # the common case: nothing a claim could be made of
        start = 0
        for sentence in _SENTENCE_END.split(text):
            end = start + len(sentence)
            claim = self._judge(sentence)
            if claim is not None:
                kind, score = claim
                stripped = len(sentence) - len(sentence.lstrip())
                found.append(Claim(start + stripped, end, kind, score))
            start = end
        return found

    def _judge(self, sentence: str) -> tuple[ClaimKind, float] | None:
        plain = normalized(sentence)
        if not plain or any(p.search(plain) for p in self._allowed):
            return None
        if any(p.search(plain) for p in self._extra):
            return ClaimKind.TENANT, 0.9
        if not _LEXICON.trigger.fires(plain):
            return None
        best: _Rule | None = None
        for gate, rules in _LEXICON.gates:
            if not gate.search(plain):
                continue
            for rule in rules:
                if (best is None or rule.score > best.score) and rule.pattern.search(plain):
                    best = rule
        return (best.kind, best.score) if best is not None else None

    async def check(self, text: str, ctx: TurnContext) -> Decision:
        found = self.claims(text)
        if not found:
            return allow(self.name, text, "no claim to be human")
        kinds = ",".join(sorted({claim.kind.value for claim in found}))
        findings = tuple(
            Finding(claim.kind.value, claim.start, claim.end, claim.score, detector=self.name)
            for claim in found
        )
        score = max(claim.score for claim in found)
        annotations = {"claims": len(found), "kinds": kinds, "impersonation_action": self._action}
        what = f"the reply passed the AI off as a person ({kinds})"
        language = ""
        if self._action == "block":
            action, new_text, done = Action.BLOCK, text, "the reply was refused"
        elif self._action == "replace":
            language = customer_locale(ctx.locale, ctx.languages, available=self._replacements)
            new_text = self._replacements[language]
            action, done = Action.REDACT, "the reply was replaced with a truthful one"
        else:
            language = customer_locale(ctx.locale, ctx.languages, available=self._corrections)
            new_text = _rewritten(text, found, self._corrections[language])
            action, done = Action.REDACT, "the claim was replaced with a truthful sentence"
        return Decision(
            guardrail=self.name,
            action=action,
            text=new_text,
            reason=f"{what}; {done}",
            score=score,
            findings=findings,
            reason_code=ReasonCode.POLICY,
            annotations={**annotations, "locale": language} if language else annotations,
        )


def _rewritten(text: str, claims: list[Claim], correction: str) -> str:
    """``text`` without the claiming sentences; the first one becomes ``correction``.
    Whitespace around them is kept, so a streamed piece still joins its neighbours."""
    pieces: list[str] = []
    position = 0
    for index, claim in enumerate(claims):
        before = text[position : claim.start]
        pieces.append(before if index == 0 else before.rstrip(" \t"))
        if index == 0:
            pieces.append(correction)
        position = claim.end
    pieces.append(text[position:])
    return "".join(pieces)
