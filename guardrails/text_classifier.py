"""A small linear text classifier, scored from a shipped data file.

The escalation detectors are rules (lexicons, patterns, VADER); on text nobody tuned them
on they found about 0.7 of crisis messages and 0.85 of requests for a person. This model
is the second opinion: TF-IDF over word 1-2-grams and character 3-6-grams across word
boundaries (so "agnet" and "kil myself" share most of their n-grams with the right
spelling, and "end it all" is a feature of its own), one logistic-regression head per
label, trained by ``scripts/train_escalation_classifier.py`` with scikit-learn on the
labelled sets in ``bench/``.

Only the numbers ship: vocabulary, idf and one weight per head per n-gram in a gzipped
JSON file. Scoring reimplements scikit-learn's ``TfidfVectorizer`` analyzers
(``lowercase``, token pattern ``\\b\\w\\w+\\b``, ``char``, ``char_wb``, ``sublinear_tf``, l2
norm), a dot product and a sigmoid; the training script checks it against
scikit-learn's own ``predict_proba``. So nothing is unpickled and nothing is downloaded;
scikit-learn is a training tool only. The dot products use numpy (already installed
with spaCy): a message has a few hundred n-grams, and in pure Python the weight lookups
cost twice as much. Scoring one message costs about 0.2 ms.

PII tokens (``<PERSON_1>``) and digits are removed before scoring and before training
(``model_input``): a token's letters are not the customer's words, and an order number
says nothing about their mood.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from guardrails.base import Params
from guardrails.pii_tokens import TOKEN_RE

MODEL_DIR = Path(__file__).parent / "models"
ESCALATION_MODEL = MODEL_DIR / "escalation_classifier.json.gz"
FORMAT = 2  # 2: "char" blocks beside "word" and "char_wb"

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_SPACES = re.compile(r"\s\s+")
_DIGITS = re.compile(r"#?\d+")


def model_input(text: str) -> str:
    """What the model reads, in training as in use: the message without ``<PERSON_1>``-
    style tokens (a token's letters are not the customer's words) and without digits (an
    order number says nothing about the customer's mood, and the training messages with
    order numbers in them are mostly complaints)."""
    return _DIGITS.sub(" ", TOKEN_RE.sub(" ", text))


def word_ngrams(text: str, n_max: int = 2) -> list[str]:
    """scikit-learn's ``analyzer="word"`` with its default token pattern, on lower case."""
    tokens = _TOKEN.findall(text.lower())
    grams = list(tokens)
    for n in range(2, n_max + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_ngrams(text: str, n_min: int = 3, n_max: int = 6) -> list[str]:
    """scikit-learn's ``analyzer="char"``: n-grams across the whole message, spaces and
    word boundaries included, so "kill my" and "end it all" are features of their own."""
    text = _SPACES.sub(" ", text.lower())
    length = len(text)
    return [text[i : i + n] for n in range(n_min, min(n_max, length) + 1) for i in range(length - n + 1)]


def char_wb_ngrams(text: str, n_min: int = 3, n_max: int = 5) -> list[str]:
    """scikit-learn's ``analyzer="char_wb"``: n-grams inside each space-padded word."""
    grams: list[str] = []
    for word in _SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(n_min, n_max + 1):
            if n >= length:
                # A word no longer than n yields itself once, padded (as scikit-learn does).
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(length - n + 1)]
    return grams


@dataclass(frozen=True, slots=True)
class Block:
    """One vectorizer: n-gram -> (idf, weight per head)."""

    table: Mapping[str, tuple[float, tuple[float, ...]]]
    analyzer: str  # one of ANALYZERS
    ngram_range: tuple[int, int]


ANALYZERS = frozenset({"word", "char", "char_wb"})


def analyzer(name: str, ngram_range: tuple[int, int]) -> Callable[[str], list[str]]:
    """The n-gram function of one of ``ANALYZERS`` for this range."""
    low, high = ngram_range
    if name == "word":
        return partial(word_ngrams, n_max=high)
    return partial(char_ngrams if name == "char" else char_wb_ngrams, n_min=low, n_max=high)


@dataclass(frozen=True, slots=True)
class _Packed:
    """A block laid out for scoring: n-gram -> row; idf per row; one row of weights per
    n-gram, the heads side by side (one cache line per n-gram, not one per head)."""

    grams: Callable[[str], list[str]]
    rows: dict[str, int]
    idf: NDArray[np.float64]
    weights: NDArray[np.float64]  # shape (n-grams, heads)

    @classmethod
    def of(cls, block: Block, heads: int) -> _Packed:
        grams = list(block.table)
        weights = np.array([block.table[gram][1] for gram in grams], dtype=np.float64).reshape(
            len(grams), heads
        )
        return cls(
            # Not the block itself: its per-n-gram tuples would double the memory the
            # arrays below already hold.
            analyzer(block.analyzer, block.ngram_range),
            {gram: i for i, gram in enumerate(grams)},
            np.array([block.table[gram][0] for gram in grams], dtype=np.float64),
            weights,
        )


class TextClassifier:
    """Per-label probabilities for one message; labels and thresholds come with the model."""

    def __init__(
        self,
        *,
        labels: tuple[str, ...],
        intercepts: tuple[float, ...],
        blocks: tuple[Block, ...],
        thresholds: Mapping[str, float],
        version: str,
    ) -> None:
        self.labels = labels
        self.thresholds = dict(thresholds)
        self.version = version
        self._intercepts = intercepts
        self._packed = tuple(_Packed.of(block, len(labels)) for block in blocks)
        # The detectors score the same text one after another: keep recent answers.
        self.scores = lru_cache(maxsize=512)(self._scores)

    def _scores(self, text: str) -> Mapping[str, float]:
        text = model_input(text)
        acc = np.array(self._intercepts, dtype=np.float64)
        for packed in self._packed:
            counts = Counter(packed.grams(text))
            # Each distinct n-gram's row, -1 where the model does not know it: one pass of
            # dictionary lookups, in C.
            rows = np.fromiter(map(packed.rows.get, counts, repeat(-1)), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            known = rows >= 0
            if not known.any():
                continue
            rows, tf = rows[known], tf[known]
            order = np.argsort(rows)  # the same summation order in every process
            rows, tf = rows[order], tf[order]
            # sublinear tf (1 + ln tf) times idf, l2-normalised per block, times the weights.
            values = (1.0 + np.log(tf)) * packed.idf[rows]
            acc += (values @ packed.weights[rows]) / math.sqrt(float(values @ values))
        return {label: _sigmoid(float(z)) for label, z in zip(self.labels, acc, strict=True)}


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0


def dump(
    *,
    labels: Sequence[str],
    intercepts: Sequence[float],
    blocks: Sequence[Block],
    thresholds: Mapping[str, float],
    **meta: Any,
) -> bytes:
    """The model file ``load`` reads: gzipped JSON, keys sorted, no timestamp (so the same
    weights give the same bytes). ``meta`` is stored beside the weights for people."""
    data = {
        "format": FORMAT,
        "labels": list(labels),
        "intercepts": list(intercepts),
        "blocks": [
            {
                "analyzer": block.analyzer,
                "ngram_range": list(block.ngram_range),
                "table": {gram: [idf, list(weights)] for gram, (idf, weights) in block.table.items()},
            }
            for block in blocks
        ],
        "thresholds": dict(thresholds),
        **meta,
    }
    return gzip.compress(json.dumps(data, separators=(",", ":"), sort_keys=True).encode(), mtime=0)


def load(path: Path) -> TextClassifier:
    raw = path.read_bytes()
    data = json.loads(gzip.decompress(raw))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path.name}: unsupported model format {data.get('format')!r}")
    labels = tuple(data["labels"])
    blocks = []
    for block in data["blocks"]:
        table = {gram: (float(idf), tuple(map(float, ws))) for gram, (idf, ws) in block["table"].items()}
        if any(len(ws) != len(labels) for _, ws in table.values()):
            raise ValueError(f"{path.name}: a weight row does not match the {len(labels)} labels")
        if block["analyzer"] not in ANALYZERS:
            raise ValueError(f"{path.name}: unknown analyzer {block['analyzer']!r}")
        blocks.append(Block(table, block["analyzer"], (block["ngram_range"][0], block["ngram_range"][1])))
    return TextClassifier(
        labels=labels,
        intercepts=tuple(map(float, data["intercepts"])),
        blocks=tuple(blocks),
        thresholds={k: float(v) for k, v in data["thresholds"].items()},
        version=hashlib.sha256(raw).hexdigest()[:12],
    )


class ModelOpinion(Params):
    """The escalation classifier's say in a rule-based rail, set per tenant.

    ``threshold`` None uses the threshold chosen with the model by cross-validation
    (stored in the model file); a tenant can raise it to escalate less, lower it to miss
    less, or switch the model off and keep the rules alone.
    """

    enabled: bool = True
    threshold: float | None = Field(default=None, gt=0.0, le=1.0)
    # Shorter messages are left to the rules: on a few words a couple of n-grams decide,
    # and the model overreads "why?" or "where is my refund?".
    min_words: int = Field(default=1, ge=1, le=50)

    def judges(self, text: str) -> bool:
        return self.enabled and len(_TOKEN.findall(text)) >= self.min_words

    def bind(self, head: str) -> BoundModel | None:
        """The shipped model and this rail's threshold for ``head``; None when switched off."""
        if not self.enabled:
            return None
        model = escalation_classifier()
        return BoundModel(model, head, self.threshold or model.thresholds[head])


@dataclass(frozen=True, slots=True)
class BoundModel:
    """One head of the model, with the threshold a rail applies to it."""

    model: TextClassifier
    head: str
    threshold: float

    def score(self, text: str) -> float:
        return self.model.scores(text)[self.head]


@cache
def escalation_classifier() -> TextClassifier:
    """The shipped model, loaded once per process (~1 s; ~25 MB live, ~115 MB at the peak
    of parsing the file, which the allocator mostly keeps as resident memory)."""
    return load(ESCALATION_MODEL)
