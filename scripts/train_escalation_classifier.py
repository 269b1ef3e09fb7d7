"""Train the escalation classifier and write it into the package as data.

    .venv/bin/python scripts/train_escalation_classifier.py [--dry-run]

What it does, in order:

1. Reads the labelled message sets in ``bench/`` (``TRAIN_SETS``; the template-generated
   messages count a quarter each). The newest held-out sets (``HELD_OUT_SETS``) are never
   read: they exist to measure this model.
2. Runs the rule-based detectors on every message with the model switched off, to know
   what the lexicons already catch.
3. Leave-one-set-out cross-validation over ``CV_FOLDS``: for each fold, fits TF-IDF (word
   1-2-grams, char_wb 3-5-grams) and one logistic regression per head on the other sets,
   and predicts the held-out fold.
4. Chooses the thresholds on those out-of-fold predictions: per head, the lowest at which
   the model alone keeps its false escalations on neutral messages within that head's
   share of the budget (``BUDGETS``); then the frustration veto (a cue-only hit stays
   quiet when the model's probability is below it), the largest that costs no F1.
5. Fits the final model on every training set, checks that the pure-Python scorer in
   ``guardrails/text_classifier.py`` gives scikit-learn's probabilities, and writes
   ``guardrails/models/escalation_classifier.json.gz`` with the thresholds and the
   cross-validation figures.

The output is deterministic for the same data (lbfgs, no random state involved).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from escalation_corpus import HELD_OUT, HELD_OUT_V1, HELD_OUT_V3, Message, is_neutral, tuned_messages  # noqa: E402
from escalation_corpus_v4 import DEV_V4, HELD_OUT_V5  # noqa: E402
from escalation_corpus_v6 import HELD_OUT_V6  # noqa: E402
from escalation_corpus_v7 import HELD_OUT_V7  # noqa: E402
from escalation_corpus_v8 import HELD_OUT_V8  # noqa: E402
from escalation_corpus_v9 import HELD_OUT_V9  # noqa: E402
from escalation_corpus_v10 import HELD_OUT_V10  # noqa: E402
from escalation_corpus_v11 import HELD_OUT_V11  # noqa: E402
from escalation_corpus_v12 import HELD_OUT_V12  # noqa: E402
from escalation_corpus_v13 import HELD_OUT_V13  # noqa: E402
from escalation_corpus_v14 import HELD_OUT_V14  # noqa: E402
from escalation_corpus_v15 import HELD_OUT_V15  # noqa: E402
from escalation_corpus_v16 import HELD_OUT_V16  # noqa: E402
from escalation_corpus_v17 import HELD_OUT_V17  # noqa: E402
from escalation_corpus_v18 import HELD_OUT_V18  # noqa: E402
from escalation_corpus_v19 import HELD_OUT_V19  # noqa: E402
from escalation_corpus_v20 import HELD_OUT_V20  # noqa: E402
from escalation_corpus_v21 import HELD_OUT_V21  # noqa: E402
from escalation_corpus_v22 import HELD_OUT_V22  # noqa: E402
from escalation_corpus_v23 import HELD_OUT_V23  # noqa: E402
from escalation_corpus_v24 import HELD_OUT_V24  # noqa: E402
from escalation_corpus_v25 import HELD_OUT_V25  # noqa: E402

from guardrails import text_classifier  # noqa: E402
from guardrails.base import Action, ReasonCode, Stage, TurnContext  # noqa: E402
from guardrails.frustration import FrustrationGuardrail, FrustrationParams  # noqa: E402
from guardrails.human_request import HumanRequestGuardrail, HumanRequestParams  # noqa: E402
from guardrails.lexicon import available_topics, default_topic  # noqa: E402
from guardrails.resources import CpuRunner, Resources  # noqa: E402
from guardrails.sensitive_topic import SensitiveTopicGuardrail, SensitiveTopicParams  # noqa: E402
from guardrails.text_classifier import ModelOpinion  # noqa: E402

TRAIN_SETS: dict[str, list[Message]] = {
    "v1": HELD_OUT_V1,
    "v2": HELD_OUT,
    "v3": HELD_OUT_V3,
    "v4": DEV_V4,
    "v5": HELD_OUT_V5,
    "v6": HELD_OUT_V6,
    "v7": HELD_OUT_V7,
    "v8": HELD_OUT_V8,
    "v9": HELD_OUT_V9,
    "v10": HELD_OUT_V10,
    "v11": HELD_OUT_V11,
    "v12": HELD_OUT_V12,
    "v13": HELD_OUT_V13,
    "v14": HELD_OUT_V14,
    "v15": HELD_OUT_V15,
    "v16": HELD_OUT_V16,
    "v17": HELD_OUT_V17,
    "v18": HELD_OUT_V18,
    "v19": HELD_OUT_V19,
    "v20": HELD_OUT_V20,
    "v21": HELD_OUT_V21,
    "v22": HELD_OUT_V22,
    "v23": HELD_OUT_V23,
    "v24": HELD_OUT_V24,
    "v25": HELD_OUT_V25,
}
HELD_OUT_SETS = ("v26",)  # bench/escalation_corpus_v26.py: never read here
CV_FOLDS = tuple(name for name in TRAIN_SETS if name not in ("v1", "v2"))  # v1, v2: always trained on
TEMPLATE_SEED = 7
TEMPLATE_WEIGHT = 0.25
# A test table row is a curated case, most of them look-alikes written against a false
# alarm: it counts for more than one message of a set.
TABLE_WEIGHT = 3.0
# "escalation": does the message need a person for any reason at all? Only a veto: a
# lexicon topic match on a message it finds plainly ordinary stays quiet.
HEADS = ("crisis", "human_request", "frustration", "medical_emergency", "escalation")
# The topic labels, split as the topic rail splits them: crisis lexicons (never vetoed)
# and the others (the escalation head may veto them). Read from the shipped lexicons.
_TOPIC_LABELS = {f"topic:{name}": default_topic(name).spec.reason_code for name in available_topics()}
CRISIS_TOPICS = frozenset(label for label, code in _TOPIC_LABELS.items() if code is ReasonCode.CRISIS)
OTHER_TOPICS = frozenset(_TOPIC_LABELS) - CRISIS_TOPICS
C = 10.0  # inverse L2 strength; chosen by the same cross-validation in bench/experiments
GRID = (*(round(float(x), 2) for x in np.arange(0.05, 0.96, 0.05)), 1.01)  # 1.01 = model off
# Without any cue the model must be very sure: plain questions ("where is my parcel now?")
# reach 0.9 on n-grams alone.
ALONE_GRID = (0.95, 0.97, 0.99, 1.01)
VETO_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
# The escalation head's veto of the non-crisis topics' lexicon matches: the largest that
# silences no labelled match in cross-validation. Crisis matches are never vetoed: a
# silenced crisis costs most, and "do you have a crisis line number?" reads as ordinary.
TOPIC_VETO_GRID = (0.0, 0.01, 0.02, 0.03, 0.05)
# The model's own share of false escalations on neutral messages, per head. A missed
# crisis costs most, so crisis gets most of it; requests and frustration are mostly
# found by the rules.
BUDGETS = {"crisis": 0.01, "human_request": 0.0025, "frustration": 0.0025}
# The lowest threshold a head may get. Plain openers ("Hello, I have a question about my
# bill", "I need help with a payment") are everyday traffic but rare in the labelled sets,
# and the request head reads them near 0.5: the rules find 0.9 of requests on their own.
FLOORS = {"human_request": 0.6}
OUT = text_classifier.ESCALATION_MODEL


# The rails' unit-test tables are labelled examples too, mostly the look-alikes written
# against the rules' false alarms ("die of boredom on hold", "transfer my points"). Each
# table says only what one rail must do, so it labels only the heads named here; the
# other heads do not learn from it.
NOT_CRISIS = {"crisis": False, "medical_emergency": False}
NEUTRAL = {**NOT_CRISIS, "human_request": False, "frustration": False}
SELF_HARM = {"crisis": True, "medical_emergency": False}
MEDICAL = {"crisis": True, "medical_emergency": True}
CRISIS = {"crisis": True}  # self-harm or medical: the table does not say which
ESCALATES = {"escalation": True}  # some sensitive topic: only the veto head learns from it
TABLES: dict[str, dict[str, dict[str, bool]]] = {
    "test_sensitive_topic.py": {
        "test_hard_negatives_pass": NOT_CRISIS,
        "test_self_harm_families_get_the_crisis_reply": SELF_HARM,
        "test_medical_families_say_call_the_emergency_number": MEDICAL,
        "test_idioms_and_look_alikes_pass": NOT_CRISIS,
        "test_idioms_and_everyday_complaints_are_not_a_crisis": NOT_CRISIS,
        "test_bereavement_and_harassment_look_alikes_pass": NOT_CRISIS,
        "test_crisis_look_alikes_from_v6_families_pass": NOT_CRISIS,
        "test_topic_look_alikes_from_v6_families_pass": NOT_CRISIS,
        "test_medical_families_from_v7": MEDICAL,
        "test_crisis_look_alikes_from_v7_families_pass": NOT_CRISIS,
        "test_look_alikes_from_v9_families_pass": NOT_CRISIS,
        "test_look_alikes_from_v10_families_pass": NOT_CRISIS,
        "test_look_alikes_from_v11_families_pass": NOT_CRISIS,
        "test_look_alikes_from_v13_families_are_not_their_topic": NOT_CRISIS,
        "test_look_alikes_from_v14_families_are_not_their_topic": NOT_CRISIS,
        "test_topics_escalate": ESCALATES,
        "test_crisis_frames_escalate_with_a_crisis_reply": CRISIS,
        "test_bereavement_and_harassment_by_structure": ESCALATES,
        "test_crisis_families_from_v6": CRISIS,
        "test_medical_families_from_v6": MEDICAL,
        "test_topic_families_from_v6": ESCALATES,
        "test_crisis_families_from_v7": CRISIS,
        "test_topic_families_from_v7": ESCALATES,
        "test_topic_look_alikes_from_v7_families_pass": NOT_CRISIS,
        "test_v11_crisis_families_escalate": CRISIS,
        "test_v14_crisis_families_escalate": CRISIS,
        "test_look_alikes_from_v15_v18_families_are_not_their_topic": NOT_CRISIS,
        "test_the_v15_v18_exceptions_leave_the_real_thing_alone": ESCALATES,
        "test_v19_crisis_families_escalate": CRISIS,
        "test_v19_crisis_look_alikes_pass": NOT_CRISIS,
        "test_v22_crisis_families_escalate": CRISIS,
        "test_v22_look_alikes_pass": NOT_CRISIS,
        "test_v23_v24_look_alikes_pass": NOT_CRISIS,
        "test_v25_look_alikes_pass": NOT_CRISIS,
        "test_the_v25_exceptions_leave_the_real_thing_alone": ESCALATES,
    },
    "test_human_request.py": {
        "test_explicit_requests_escalate": {"human_request": True},
        "test_other_senses_do_not_escalate": {"human_request": False},
        "test_requests_generalise_by_structure": {"human_request": True},
        "test_structural_look_alikes_stay_quiet": {"human_request": False},
        "test_v6_structures_escalate": {"human_request": True},
        "test_v6_look_alikes_stay_quiet": {"human_request": False},
        "test_v7_families_escalate": {"human_request": True},
        "test_v7_look_alikes_stay_quiet": {"human_request": False},
        "test_v9_look_alikes_stay_quiet": {"human_request": False},
        "test_v10_families_escalate": {"human_request": True},
        "test_v10_look_alikes_stay_quiet": {"human_request": False},
        "test_v11_families_escalate": {"human_request": True},
        "test_v11_look_alikes_stay_quiet": {"human_request": False},
        "test_v13_look_alikes_stay_quiet": {"human_request": False},
        "test_v14_look_alikes_stay_quiet": {"human_request": False},
        "test_asking_the_bot_to_play_a_person_is_not_a_request": {"human_request": False},
        "test_v19_families_escalate": {"human_request": True},
        "test_v19_look_alikes_stay_quiet": {"human_request": False},
        "test_v20_v21_families_escalate": {"human_request": True},
        "test_v20_v21_look_alikes_stay_quiet": {"human_request": False},
        "test_plain_openers_stay_quiet": NEUTRAL,
        "test_v22_families_escalate": {"human_request": True},
        "test_phone_typed_requests_stay_quiet": NEUTRAL,
        "test_v25_look_alikes_stay_quiet": {"human_request": False},
    },
    "test_frustration.py": {
        "test_frustrated_messages_escalate": {"frustration": True},
        "test_calm_messages_pass": {"frustration": False},
        "test_complaint_cues_escalate": {"frustration": True},
        "test_idioms_and_polite_messages_stay_calm": {"frustration": False},
        "test_v6_cue_families_escalate": {"frustration": True},
        "test_v6_calm_look_alikes_pass": {"frustration": False},
        "test_v7_cue_families_escalate": {"frustration": True},
        "test_v7_calm_look_alikes_pass": {"frustration": False},
        "test_plain_questions_about_an_order_stay_calm": NEUTRAL,
        "test_v22_calm_look_alikes_pass": {"frustration": False},
        "test_v25_calm_look_alikes_pass": {"frustration": False},
    },
}
TABLE_DIR = ROOT / "tests" / "unit" / "guardrails"


@dataclass(frozen=True)
class Row:
    set: str
    text: str
    labels: frozenset[str]
    neutral: bool
    weight: float
    lexicon: frozenset[str]  # what the rules fire on, model off
    known: dict[str, bool] | None = None  # a table row: the only heads it labels
    frustration_score: float = 0.0  # the frustration rail's score, model off
    request_ruled_out: bool = False  # the request rules read a person word in another sense

    def labels_head(self, head: str) -> bool:
        if head == "escalation" and self.known is not None:
            # A table says what one rail must do: a row escalates when it says yes to
            # anything, and is ordinary only when it says no to every head.
            return any(self.known.values()) or self.known == NEUTRAL
        return self.known is None or head in self.known

    def gold(self, head: str) -> bool:
        if self.known is not None:
            return any(self.known.values()) if head == "escalation" else self.known.get(head, False)
        if head == "escalation":
            return bool(self.labels - {"bot_question"})  # Candor answers those itself
        if head == "crisis":
            return bool(CRISIS_TOPICS & self.labels)
        if head == "medical_emergency":
            return "topic:medical_emergency" in self.labels
        return head in self.labels


def vectorizers() -> list[TfidfVectorizer]:
    return [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        # Across word boundaries: "kill my", "end it all" and "no point" are n-grams too.
        TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True, min_df=3),
    ]


async def lexicon_labels(texts: Sequence[str]) -> list[tuple[frozenset[str], float, bool]]:
    """What the rule-based rails escalate on, one message at a time, the model off; the
    frustration rail's score for the message; whether the request rules rule it out."""
    resources = Resources(cpu=CpuRunner(max_workers=1))
    off = ModelOpinion(enabled=False)
    rails: list[HumanRequestGuardrail | FrustrationGuardrail | SensitiveTopicGuardrail] = [
        HumanRequestGuardrail(params=HumanRequestParams(model=off), resources=resources),
        FrustrationGuardrail(params=FrustrationParams(model=off), resources=resources),
        SensitiveTopicGuardrail(params=SensitiveTopicParams(model=off), resources=resources),
    ]
    out = []
    for text in texts:
        fired: set[str] = set()
        frustration = 0.0
        for rail in rails:
            ctx = TurnContext(tenant_id="train", conversation_id="c", stage=Stage.INPUT, state={})
            decision = await rail.check(text, ctx)
            if rail.name == "frustration":
                frustration = decision.score
            if decision.action is not Action.ESCALATE:
                continue
            if rail.name == "sensitive_topic":
                fired.update(f"topic:{t}" for t in decision.annotations["topics"])
            else:
                fired.add(rail.name)
        human = rails[0]
        assert isinstance(human, HumanRequestGuardrail)
        out.append((frozenset(fired), frustration, human.ruled_out(text)))
    resources.cpu.close()
    return out


def table_texts(file: str, function: str) -> list[str]:
    """The texts of one test function's ``parametrize`` table: plain strings, or the first
    argument of each ``pytest.param``."""
    tree = ast.parse((TABLE_DIR / file).read_text(encoding="utf-8"))
    # A table may be a module-level constant: ``@pytest.mark.parametrize("text", FAMILIES)``.
    constants = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            texts = []
            for decorator in node.decorator_list:
                if not (isinstance(decorator, ast.Call) and len(decorator.args) == 2):
                    continue
                table = decorator.args[1]
                if isinstance(table, ast.Name):
                    table = constants.get(table.id, table)
                for item in table.elts if isinstance(table, ast.List | ast.Tuple) else ():
                    if isinstance(item, ast.Call) and item.args:
                        item = item.args[0]
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        texts.append(item.value)
            if not texts:
                raise SystemExit(f"{file}::{function}: no texts found in its table")
            return texts
    raise SystemExit(f"{file}::{function}: no such test function (update TABLES)")


def load_rows() -> list[Row]:
    named = [(name, m, 1.0) for name, msgs in TRAIN_SETS.items() for m in msgs]
    named += [("templates", m, TEMPLATE_WEIGHT) for m in tuned_messages(TEMPLATE_SEED)]
    lexicon = asyncio.run(lexicon_labels([m.text for _, m, _ in named]))
    rows = [
        Row(name, m.text, m.labels, is_neutral(m.group), weight, lex, None, score, ruled_out)
        for (name, m, weight), (lex, score, ruled_out) in zip(named, lexicon, strict=True)
    ]
    for file, functions in TABLES.items():
        for function, known in functions.items():
            texts = table_texts(file, function)
            rows += [
                Row("tables", text, frozenset(), False, TABLE_WEIGHT, frozenset(), known) for text in texts
            ]
    return rows


def fit(rows: Sequence[Row]) -> tuple[list[TfidfVectorizer], dict[str, LogisticRegression]]:
    vecs = vectorizers()
    texts = [text_classifier.model_input(r.text) for r in rows]
    x = hstack([v.fit_transform(texts) for v in vecs]).tocsr()
    weights = np.array([r.weight for r in rows])
    heads = {}
    for head in HEADS:
        labelled = np.array([r.labels_head(head) for r in rows])
        y = np.array([r.gold(head) for r in rows], dtype=int)
        heads[head] = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(
            x[labelled], y[labelled], sample_weight=weights[labelled]
        )
    return vecs, heads


def predict(
    vecs: list[TfidfVectorizer], heads: dict[str, LogisticRegression], texts: list[str]
) -> np.ndarray:
    texts = [text_classifier.model_input(t) for t in texts]
    x: csr_matrix = hstack([v.transform(texts) for v in vecs]).tocsr()
    return np.column_stack([heads[h].predict_proba(x)[:, 1] for h in HEADS])


def out_of_fold(rows: list[Row]) -> tuple[list[Row], np.ndarray]:
    tested, probs = [], []
    for fold in CV_FOLDS:
        train = [r for r in rows if r.set != fold]
        test = [r for r in rows if r.set == fold]
        vecs, heads = fit(train)
        probs.append(predict(vecs, heads, [r.text for r in test]))
        tested += test
        print(f"  fold {fold}: trained on {len(train)}, predicted {len(test)}", flush=True)
    return tested, np.vstack(probs)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_thresholds(rows: list[Row], probs: np.ndarray) -> dict[str, Any]:
    """Each head's threshold for the model on its own, then the frustration veto.

    The rules were tuned on most of these folds, so "rules OR model" looks as if the
    model were hardly needed and would pick timid thresholds; on fresh text the rules miss
    a fifth to a third. So each head gets the lowest threshold at which the model alone
    keeps its false escalations on neutral messages within that head's share of the
    budget (``BUDGETS``: most of it to crisis, where a miss costs most). The rules need
    the rest of the 2% target.
    """
    gold = {h: np.array([r.gold(h) for r in rows]) for h in ("crisis", "human_request", "frustration")}
    neutral = np.array([r.neutral for r in rows])
    n_neutral = int(neutral.sum())
    frustration = FrustrationParams()
    # The frustration rail lets the model judge only a message long enough.
    judged = np.array([frustration.model.judges(r.text) for r in rows])
    # So does the topic rail (a shorter minimum), for crisis and for its veto.
    topic_judged = np.array([SensitiveTopicParams().model.judges(r.text) for r in rows])
    eligible = {
        "crisis": topic_judged,
        # ... and on a request only where the rules have not ruled one out.
        "human_request": np.array([not r.request_ruled_out for r in rows]),
        # ... and there confirms only a message the rules already find somewhat negative.
        "frustration": judged & np.array([r.frustration_score >= frustration.complaint_level for r in rows]),
    }
    alone: dict[str, np.ndarray] = {}
    thresholds: dict[str, float] = {}
    for j, head in enumerate(("crisis", "human_request", "frustration")):
        p = np.where(eligible[head], probs[:, j], 0.0)
        t = next(
            t
            for t in GRID
            if t >= FLOORS.get(head, 0.0) and ((p >= t) & neutral).sum() <= BUDGETS[head] * n_neutral
        )
        thresholds[head], alone[head] = float(t), p >= t
    p_frus = probs[:, 2]
    # With no cue at all the frustration model needs more confidence: the lowest that
    # keeps the head within the same budget.
    for t in ALONE_GRID:
        fired = alone["frustration"] | (judged & (p_frus >= t))
        if (fired & neutral).sum() <= BUDGETS["frustration"] * n_neutral:
            thresholds["frustration_alone"], alone["frustration"] = float(t), fired
            break

    def recall(fired: np.ndarray, head: str) -> float:
        return float((fired & gold[head]).sum() / gold[head].sum())

    def f1(fired: np.ndarray, g: np.ndarray) -> float:
        return _f1(int((fired & g).sum()), int((fired & ~g).sum()), int((~fired & g).sum()))

    # The escalation head's veto of the other topics' lexicon matches: the largest that
    # silences no match a message is labelled with.
    p_esc = np.where(topic_judged, probs[:, HEADS.index("escalation")], 1.0)
    true_hits = np.array([bool(r.lexicon & r.labels & OTHER_TOPICS) for r in rows])
    topic_veto = max(v for v in TOPIC_VETO_GRID if not (true_hits & (p_esc < v)).any())
    lex = {
        "crisis": np.array([bool(CRISIS_TOPICS & r.lexicon) for r in rows]),
        "human_request": np.array(["human_request" in r.lexicon for r in rows]),
        "frustration": np.array(["frustration" in r.lexicon for r in rows]),
    }
    crisis = lex["crisis"] | alone["crisis"]
    human = lex["human_request"] | alone["human_request"]
    # The veto (of moderate cue scores only): the largest one that costs no F1.
    strong = np.array([r.frustration_score >= frustration.high_threshold for r in rows])
    veto, frus = 0.0, lex["frustration"] | alone["frustration"]
    for candidate in VETO_GRID:
        vetoed = (lex["frustration"] & ((p_frus >= candidate) | strong)) | alone["frustration"]
        if f1(vetoed, gold["frustration"]) >= f1(frus, gold["frustration"]) - 1e-9:
            veto, frus = candidate, vetoed
    other = np.array([bool(r.lexicon & OTHER_TOPICS) for r in rows]) & (p_esc >= topic_veto)
    rest = CRISIS_TOPICS | OTHER_TOPICS | {"human_request", "frustration"}
    other |= np.array([bool(r.lexicon - rest) for r in rows])
    fired = alone["crisis"] | alone["human_request"] | alone["frustration"]
    return {
        "thresholds": {
            **thresholds,
            "frustration_alone": thresholds.get("frustration_alone", 1.01),
            "topic_veto": topic_veto,
        },
        "frustration_veto": float(veto),
        "cv_model_alone": {
            "crisis_recall": round(recall(alone["crisis"], "crisis"), 4),
            "human_request_recall": round(recall(alone["human_request"], "human_request"), 4),
            "frustration_f1": round(f1(alone["frustration"], gold["frustration"]), 4),
            "neutral_false_escalation": round(float((fired & neutral).sum()) / n_neutral, 4),
        },
        "cv": {
            "crisis_recall": round(recall(crisis, "crisis"), 4),
            "human_request_recall": round(recall(human, "human_request"), 4),
            "frustration_f1": round(f1(frus, gold["frustration"]), 4),
            "neutral_false_escalation": round(
                float(((other | crisis | human | frus) & neutral).sum()) / n_neutral, 4
            ),
            "neutral_messages": n_neutral,
        },
    }


def lexicon_only(rows: list[Row]) -> dict[str, float]:
    """The same figures for the rules alone, for comparison in the report."""

    def recall(head: str, label: set[str]) -> float:
        hits = [bool(r.lexicon & label) for r in rows if r.gold(head)]
        return sum(hits) / len(hits)

    tp = sum(1 for r in rows if r.gold("frustration") and "frustration" in r.lexicon)
    fp = sum(1 for r in rows if not r.gold("frustration") and "frustration" in r.lexicon)
    fn = sum(1 for r in rows if r.gold("frustration") and "frustration" not in r.lexicon)
    neutral = [r for r in rows if r.neutral]
    return {
        "crisis_recall": round(recall("crisis", set(CRISIS_TOPICS)), 4),
        "human_request_recall": round(recall("human_request", {"human_request"}), 4),
        "frustration_f1": round(_f1(tp, fp, fn), 4),
        "neutral_false_escalation": round(sum(bool(r.lexicon) for r in neutral) / len(neutral), 4),
    }


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def export(
    vecs: list[TfidfVectorizer],
    heads: dict[str, LogisticRegression],
    thresholds: dict[str, float],
    meta: dict[str, Any],
) -> bytes:
    """The fitted numbers, rounded to 6 significant digits, in ``text_classifier``'s file."""
    blocks, offset = [], 0
    coefs = [heads[h].coef_[0] for h in HEADS]
    for vec in vecs:
        table = {
            gram: (_round(vec.idf_[i]), tuple(_round(c[offset + i]) for c in coefs))
            for gram, i in vec.vocabulary_.items()
        }
        blocks.append(text_classifier.Block(table, vec.analyzer, vec.ngram_range))
        offset += len(vec.vocabulary_)
    intercepts = [_round(heads[h].intercept_[0]) for h in HEADS]
    return text_classifier.dump(
        labels=HEADS, intercepts=intercepts, blocks=blocks, thresholds=thresholds, **meta
    )


def check_parity(
    path: Path, vecs: list[TfidfVectorizer], heads: dict[str, LogisticRegression], texts: list[str]
) -> float:
    model = text_classifier.load(path)
    ours = np.array([[model.scores(t)[h] for h in HEADS] for t in texts])
    return float(np.abs(ours - predict(vecs, heads, texts)).max())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="cross-validate and report; write nothing")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    rows = load_rows()
    print(f"{len(rows)} messages ({', '.join(f'{k} {len(v)}' for k, v in TRAIN_SETS.items())}, "
          f"templates, {sum(r.set == 'tables' for r in rows)} from test tables)")  # fmt: skip
    print(f"leave-one-set-out cross-validation over {', '.join(CV_FOLDS)}:")
    tested, probs = out_of_fold(rows)
    chosen = choose_thresholds(tested, probs)
    print(f"rules alone, same folds:  {lexicon_only(tested)}")
    print(f"model alone, same folds:   {chosen['cv_model_alone']}")
    print(f"rules + model, same folds: {chosen['cv']}")
    print(f"thresholds {chosen['thresholds']}, frustration veto {chosen['frustration_veto']}")
    if args.dry_run:
        return

    vecs, heads = fit(rows)
    trained_on = {name: len(messages) for name, messages in TRAIN_SETS.items()}
    trained_on |= {
        "templates": sum(r.set == "templates" for r in rows),
        "tables": sum(r.set == "tables" for r in rows),
    }
    thresholds = {**chosen["thresholds"], "frustration_veto": chosen["frustration_veto"]}
    meta = {
        "cross_validation": {
            "folds": list(CV_FOLDS),
            "budgets": BUDGETS,
            "rules_alone": lexicon_only(tested),
            "model_alone": chosen["cv_model_alone"],
            "rules_and_model": chosen["cv"],
        },
        "trained_on": trained_on,
        "never_trained_on": list(HELD_OUT_SETS),
        "training": {
            "model": "logistic regression, class_weight=balanced",
            "C": C,
            "scikit_learn": sklearn.__version__,
            "template_weight": TEMPLATE_WEIGHT,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(export(vecs, heads, thresholds, meta))
    text_classifier.escalation_classifier.cache_clear()
    gap = check_parity(args.out, vecs, heads, [r.text for r in rows[:: max(1, len(rows) // 2000)]])
    print(f"wrote {args.out.relative_to(ROOT)} ({args.out.stat().st_size / 1e6:.2f} MB); "
          f"max |pure Python - scikit-learn| = {gap:.1e}")  # fmt: skip
    if gap > 1e-3:
        raise SystemExit("the pure-Python scorer disagrees with scikit-learn")


if __name__ == "__main__":
    main()
