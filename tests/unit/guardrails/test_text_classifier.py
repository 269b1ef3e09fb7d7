"""The pure-Python scorer reproduces scikit-learn, and the shipped model loads and behaves."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from guardrails.text_classifier import (
    FORMAT,
    Block,
    char_ngrams,
    char_wb_ngrams,
    dump,
    escalation_classifier,
    load,
    word_ngrams,
)

TRICKY = [
    "Hello  there, I'm NOT ok!!",
    "a b",
    "agnet pls",
    "ok",
    "",
    "   ",
    "tab\tand\nnewline  and\u00a0nbsp",
    "ÇA NE MARCHE PAS, über-schlecht",
    "emoji 😡😡 and café",
    "x" * 40,
    "it's   the 3rd time!!! WHERE is my £50 refund??",
]


@pytest.mark.parametrize("text", TRICKY)
def test_word_ngrams_match_scikit_learn(text: str) -> None:
    analyzer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2)).build_analyzer()
    assert word_ngrams(text, 2) == analyzer(text)


@pytest.mark.parametrize("text", TRICKY)
def test_char_wb_ngrams_match_scikit_learn(text: str) -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    assert char_wb_ngrams(text, 3, 5) == analyzer(text)


@pytest.mark.parametrize("text", TRICKY)
def test_char_ngrams_match_scikit_learn(text: str) -> None:
    analyzer = TfidfVectorizer(analyzer="char", ngram_range=(3, 6)).build_analyzer()
    assert char_ngrams(text, 3, 6) == analyzer(text)


def _export(vectorizers: list[TfidfVectorizer], heads: dict[str, LogisticRegression], path: Path) -> None:
    """The fitted numbers, unrounded, through ``text_classifier.dump``."""
    blocks, offset = [], 0
    for vec in vectorizers:
        table = {
            gram: (float(vec.idf_[i]), tuple(float(h.coef_[0][offset + i]) for h in heads.values()))
            for gram, i in vec.vocabulary_.items()
        }
        blocks.append(Block(table, vec.analyzer, vec.ngram_range))
        offset += len(vec.vocabulary_)
    intercepts = [float(h.intercept_[0]) for h in heads.values()]
    path.write_bytes(dump(labels=list(heads), intercepts=intercepts, blocks=blocks, thresholds={}))


def test_scores_equal_scikit_learn_predict_proba(tmp_path: Path) -> None:
    texts = [
        "I want to speak to a person",
        "get me a human now",
        "where is my parcel",
        "this is useless, third time asking!!!",
        "can I change my address",
        "nobody answers, fed up",
        "talk to an agent please",
        "what time do you open",
    ]
    y = {"human": [1, 1, 0, 0, 0, 0, 1, 0], "angry": [0, 1, 0, 1, 0, 1, 0, 0]}
    vectorizers = [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
        TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True),
    ]
    x = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
    heads = {label: LogisticRegression(C=10.0).fit(x, labels) for label, labels in y.items()}
    path = tmp_path / "model.json.gz"
    _export(vectorizers, heads, path)

    model = load(path)
    probes = [*texts, "AGENT!!! now please", "unseen words entirely", "", "where where where is it"]
    x_probe = hstack([v.transform(probes) for v in vectorizers]).tocsr()
    theirs = np.column_stack([h.predict_proba(x_probe)[:, 1] for h in heads.values()])
    ours = np.array([[model.scores(t)[label] for label in heads] for t in probes])
    assert np.abs(ours - theirs).max() < 1e-9


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"format": 99}).encode()))

    with pytest.raises(ValueError, match="unsupported model format"):
        load(path)


def test_an_unknown_analyzer_is_refused(tmp_path: Path) -> None:
    block = {"analyzer": "bytes", "ngram_range": [1, 1], "table": {"agent": [1.0, [0.5]]}}
    data = {"format": FORMAT, "labels": ["a"], "intercepts": [0], "blocks": [block], "thresholds": {}}
    path = tmp_path / "model.json.gz"
    path.write_bytes(gzip.compress(json.dumps(data).encode()))

    with pytest.raises(ValueError, match="unknown analyzer"):
        load(path)


def test_a_weight_row_of_the_wrong_width_is_refused(tmp_path: Path) -> None:
    block = {"analyzer": "word", "ngram_range": [1, 1], "table": {"agent": [1.0, [0.5]]}}
    data = {"format": FORMAT, "labels": ["a", "b"], "intercepts": [0, 0], "blocks": [block], "thresholds": {}}
    path = tmp_path / "model.json.gz"
    path.write_bytes(gzip.compress(json.dumps(data).encode()))

    with pytest.raises(ValueError, match="does not match the 2 labels"):
        load(path)


def test_the_shipped_model_loads_with_its_heads_and_thresholds() -> None:
    model = escalation_classifier()

    assert model.labels == ("crisis", "human_request", "frustration", "medical_emergency", "escalation")
    for name in ("crisis", "human_request", "frustration"):
        assert 0.0 < model.thresholds[name] <= 1.0
    assert 0.0 <= model.thresholds["frustration_veto"] < model.thresholds["frustration"]
    assert 0.0 <= model.thresholds["topic_veto"] < 0.5
    assert len(model.version) == 12
    assert escalation_classifier() is model  # loaded once per process


def test_the_shipped_model_tells_the_heads_apart() -> None:
    scores = escalation_classifier().scores

    assert scores("can I talk to someone about my bill")["human_request"] > 0.9
    assert scores("I keep thinking everyone would be better off without me")["crisis"] > 0.9
    assert scores("my dad's lips are going blue and he's wheezing")["medical_emergency"] > 0.9
    assert (
        scores("I have asked you four times now and you keep sending the same template")["frustration"] > 0.9
    )
    calm = scores("Could you tell me when the sale ends?")
    assert max(calm.values()) < 0.1


def test_pii_tokens_are_not_read_as_words() -> None:
    scores = escalation_classifier().scores

    assert scores("please pass this to <PERSON_1>") == scores("please pass this to ")
    assert scores("<PERSON_2> here, my email is <EMAIL_ADDRESS_1>") == scores(" here, my email is ")
