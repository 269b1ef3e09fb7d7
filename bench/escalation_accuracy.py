"""Escalation detector accuracy and latency on a labelled customer-service corpus.

    .venv/bin/python bench/escalation_accuracy.py [--seed 7] [--errors] [--rules-only] [--v3] ... [--v26]

Runs ``human_request``, ``frustration``, ``sensitive_topic``, ``loop`` and ``bot_question``
with their default params (the escalation classifier on; ``--rules-only`` switches it
off) on (1) single generated messages (tuned set), (2) hand-written phrasings: v1 and v2
always; v3 to v15, v19, v22 and v25 on request, each written as a held-out set and since
tuned or trained on, so now development sets; v16 to v18, v20, v21, v23 and v24, written
as training data (heavy on crisis, requests and look-alikes); v26 with ``--v26``, written
2026-11-24 without seeing the detectors or earlier sets and never tuned or trained on
(see ``escalation_corpus_v26``: score it once, never with ``--errors`` while tuning), and
(3) multi-turn conversations,
carrying state between turns exactly as the app does (merge each decision's
``annotations["state"]``; ``note_bot_reply`` after every bot reply). Prints precision /
recall / F1 per detector and per topic, the false-escalation rate on neutral traffic, and
p50/p95 latency of all five detectors together per message.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from escalation_corpus import (
    HELD_OUT,
    HELD_OUT_V1,
    HELD_OUT_V3,
    Conversation,
    Message,
    conversations,
    is_neutral,
    tuned_messages,
)
from escalation_corpus_v4 import DEV_V4, HELD_OUT_V5
from escalation_corpus_v6 import HELD_OUT_V6
from escalation_corpus_v7 import HELD_OUT_V7
from escalation_corpus_v8 import HELD_OUT_V8
from escalation_corpus_v9 import HELD_OUT_V9
from escalation_corpus_v10 import HELD_OUT_V10
from escalation_corpus_v11 import HELD_OUT_V11
from escalation_corpus_v12 import HELD_OUT_V12
from escalation_corpus_v13 import HELD_OUT_V13
from escalation_corpus_v14 import HELD_OUT_V14
from escalation_corpus_v15 import HELD_OUT_V15
from escalation_corpus_v16 import HELD_OUT_V16
from escalation_corpus_v17 import HELD_OUT_V17
from escalation_corpus_v18 import HELD_OUT_V18
from escalation_corpus_v19 import HELD_OUT_V19
from escalation_corpus_v20 import HELD_OUT_V20
from escalation_corpus_v21 import HELD_OUT_V21
from escalation_corpus_v22 import HELD_OUT_V22
from escalation_corpus_v23 import HELD_OUT_V23
from escalation_corpus_v24 import HELD_OUT_V24
from escalation_corpus_v25 import HELD_OUT_V25
from escalation_corpus_v26 import HELD_OUT_V26

from guardrails.base import Action, Decision, Stage, TurnContext
from guardrails.bot_question import BotQuestionGuardrail, BotQuestionParams
from guardrails.frustration import FrustrationGuardrail, FrustrationParams
from guardrails.human_request import HumanRequestGuardrail, HumanRequestParams
from guardrails.loop import BOT_STATE_KEY, LoopGuardrail, LoopParams, note_bot_reply
from guardrails.resources import CpuRunner, Resources
from guardrails.sensitive_topic import SensitiveTopicGuardrail, SensitiveTopicParams
from guardrails.text_classifier import ModelOpinion, escalation_classifier

KEY = b"k" * 32
TARGETS = {"human_request": ("recall", 0.98), "crisis": ("recall", 0.98), "frustration": ("f1", 0.85)}
NEUTRAL_FP_TARGET = 0.02


class Detectors:
    def __init__(self, *, model: bool = True) -> None:
        resources = Resources(cpu=CpuRunner(max_workers=1), hmac_key=KEY)
        opinion = ModelOpinion(enabled=model)
        self.model_version = escalation_classifier().version if model else None
        self.rails = [
            HumanRequestGuardrail(params=HumanRequestParams(model=opinion), resources=resources),
            FrustrationGuardrail(params=FrustrationParams(model=opinion), resources=resources),
            SensitiveTopicGuardrail(params=SensitiveTopicParams(model=opinion), resources=resources),
            LoopGuardrail(params=LoopParams(), resources=resources),
            BotQuestionGuardrail(params=BotQuestionParams(), resources=resources),
        ]
        self.latencies_ms: list[float] = []
        # A repeated text is answered partly from caches (the model's scores, the topics'
        # clause matches); latency counts each text's first sighting only.
        self._seen: set[str] = set()

    async def turn(self, text: str, state: dict[str, Any]) -> list[Decision]:
        ctx = TurnContext(tenant_id="bench", conversation_id="c", stage=Stage.INPUT, state=dict(state))
        started = time.perf_counter()
        decisions = [await rail.check(text, ctx) for rail in self.rails]
        elapsed_ms = (time.perf_counter() - started) * 1000
        if text not in self._seen:
            self._seen.add(text)
            self.latencies_ms.append(elapsed_ms)
        for d in decisions:
            state.update(d.annotations.get("state", {}))
        return decisions


def fired(decisions: Iterable[Decision]) -> set[str]:
    """Labels in the corpus vocabulary: detector names, ``topic:<name>`` for topics."""
    out: set[str] = set()
    for d in decisions:
        if d.guardrail == "sensitive_topic" and d.action is Action.ESCALATE:
            out.update(f"topic:{t}" for t in d.annotations["topics"])
        elif d.action is Action.ESCALATE or (
            d.action is Action.ANNOTATE and d.annotations.get("answer_directly")
        ):
            out.add(d.guardrail)
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


async def score_messages(
    det: Detectors, messages: list[Message], title: str, show_errors: bool
) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {}
    neutral: Counter[str] = Counter()
    neutral_fp: Counter[str] = Counter()
    errors: list[str] = []
    for m in messages:
        got = fired(await det.turn(m.text, {}))
        escalated = any(not g.startswith("bot_question") for g in got)
        if is_neutral(m.group):
            neutral[m.group] += 1
            neutral_fp[m.group] += escalated
        for label in set(m.labels) | got:
            c = counts.setdefault(label, Counter())
            c["tp" if label in m.labels and label in got else "fn" if label in m.labels else "fp"] += 1
        # Crisis = the two topics answered with an urgent handoff and Candor's own reply.
        crisis_gold = bool({"topic:self_harm", "topic:medical_emergency"} & m.labels)
        crisis_got = bool({"topic:self_harm", "topic:medical_emergency"} & got)
        if crisis_gold or crisis_got:
            counts.setdefault("crisis", Counter())[
                "tp" if crisis_gold and crisis_got else "fn" if crisis_gold else "fp"
            ] += 1
        if got != set(m.labels):
            errors.append(f"  [{m.group}] expected {sorted(m.labels)} got {sorted(got)}: {m.text}")
    print(f"\n== {title}: {len(messages)} messages ==")
    print(f"{'label':32} {'n':>5} {'prec':>6} {'recall':>6} {'f1':>6}")
    results: dict[str, Any] = {}
    for label in sorted(counts, key=lambda x: (x.startswith("topic:"), x)):
        c = counts[label]
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        results[label] = {"precision": p, "recall": r, "f1": f}
        print(f"{label:32} {c['tp'] + c['fn']:>5} {p:6.3f} {r:6.3f} {f:6.3f}")
    total_n, total_fp = sum(neutral.values()), sum(neutral_fp.values())
    for group in sorted(neutral):
        print(f"false escalation, {group:22} {neutral_fp[group]:>3}/{neutral[group]:<4} = "
              f"{neutral_fp[group] / neutral[group]:.3%}")  # fmt: skip
    rate = total_fp / total_n if total_n else 0.0
    print(f"false escalation, all neutral traffic    {total_fp:>3}/{total_n:<4} = {rate:.3%}")
    results["neutral_fp_rate"] = rate
    if show_errors:
        print("\n".join(errors) or "  (no errors)")
    return results


async def score_conversations(det: Detectors, convs: list[Conversation], show_errors: bool) -> None:
    counts: dict[str, Counter[str]] = {"loop": Counter(), "frustration": Counter()}
    neutral_escalated = 0
    errors: list[str] = []
    for conv in convs:
        state: dict[str, Any] = {}
        fired_at: dict[str, list[int]] = {"loop": [], "frustration": []}
        any_escalation = False
        for i, (customer, bot) in enumerate(conv.turns):
            decisions = await det.turn(customer, state)
            for d in decisions:
                if d.action is Action.ESCALATE:
                    any_escalation = True
                    if d.guardrail in fired_at:
                        fired_at[d.guardrail].append(i)
            state[BOT_STATE_KEY] = note_bot_reply(state.get(BOT_STATE_KEY), bot, key=KEY)
        neutral_escalated += conv.kind == "neutral" and any_escalation
        for detector, turns in fired_at.items():
            window = conv.expected.get(detector)
            if window is not None:
                inside = [t for t in turns if window[0] <= t <= window[1]]
                counts[detector]["tp" if inside else "fn"] += 1
                counts[detector]["fp"] += len(turns) - len(inside)
            elif conv.kind == "neutral":
                counts[detector]["fp"] += len(turns)
            if (window is not None and not any(window[0] <= t <= window[1] for t in turns)) or (
                window is None and conv.kind == "neutral" and turns
            ):
                errors.append(f"  [{conv.kind}] {detector} fired at {turns}, expected {window}")
    kinds = Counter(c.kind for c in convs)
    print(
        f"\n== multi-turn: {len(convs)} conversations ({', '.join(f'{k} {n}' for k, n in kinds.items())}) =="
    )
    for detector, c in counts.items():
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        print(f"{detector:14} conversations {c['tp'] + c['fn']:>4}  prec {p:.3f}  recall {r:.3f}  f1 {f:.3f}")
    n_neutral = kinds["neutral"]
    print(f"neutral conversations with any escalation: {neutral_escalated}/{n_neutral}")
    if show_errors:
        print("\n".join(errors[:40]) or "  (no errors)")


def check_targets(results: Mapping[str, Any], title: str) -> None:
    verdicts = []
    for label, (metric, target) in TARGETS.items():
        value = results.get(label, {}).get(metric, 0.0)
        verdicts.append(f"{label} {metric} {value:.3f} {'>=' if value >= target else '<'} {target}")
    rate = results["neutral_fp_rate"]
    verdicts.append(f"neutral false escalation {rate:.2%} {'<=' if rate <= NEUTRAL_FP_TARGET else '>'} 2%")
    print(f"targets ({title}): " + "; ".join(verdicts))


# Sets scored on request. The development sets were each written as a held-out set and
# have since been tuned or trained on; v9 and v10 are the clean test sets: score them
# once, never with --errors while tuning (see their module docstrings).
OPTIONAL_SETS: dict[str, tuple[list[Message], str]] = {
    "v3": (HELD_OUT_V3, "v3 development set (written as held-out, since used for tuning)"),
    "v4": (DEV_V4, "v4 development set (tuned on)"),
    "v5": (HELD_OUT_V5, "v5 development set (written as held-out, since used for tuning)"),
    "v6": (HELD_OUT_V6, "v6 development set (written as held-out, since used for tuning)"),
    "v7": (HELD_OUT_V7, "v7 development set (written as held-out, since used for tuning)"),
    "v8": (HELD_OUT_V8, "v8 development set (written as held-out, scored once, since trained on)"),
    "v9": (HELD_OUT_V9, "v9 development set (written as held-out, scored once, since tuned + trained on)"),
    "v10": (HELD_OUT_V10, "v10 development set (written as held-out, scored once, since tuned + trained on)"),
    "v11": (HELD_OUT_V11, "v11 development set (written as held-out, scored once, since tuned + trained on)"),
    "v12": (HELD_OUT_V12, "v12 development set (written as held-out, scored once, since tuned + trained on)"),
    "v13": (HELD_OUT_V13, "v13 development set (written as held-out, scored once, since tuned + trained on)"),
    "v14": (HELD_OUT_V14, "v14 development set (written as held-out, scored once, since tuned + trained on)"),
    "v15": (HELD_OUT_V15, "v15 development set (written as held-out, scored once, since trained on)"),
    "v16": (HELD_OUT_V16, "v16 development set (written as training data: crisis and look-alikes)"),
    "v17": (HELD_OUT_V17, "v17 development set (written as training data: crisis and look-alikes)"),
    "v18": (HELD_OUT_V18, "v18 development set (written as training data: crisis and look-alikes)"),
    "v19": (HELD_OUT_V19, "v19 development set (written as held-out, scored once, since tuned + trained on)"),
    "v20": (HELD_OUT_V20, "v20 development set (written as training data: requests, crisis, look-alikes)"),
    "v21": (HELD_OUT_V21, "v21 development set (written as training data: requests, crisis, look-alikes)"),
    "v22": (HELD_OUT_V22, "v22 development set (written as held-out, scored once, since tuned + trained on)"),
    "v23": (HELD_OUT_V23, "v23 development set (written as training data: crisis and look-alikes)"),
    "v24": (HELD_OUT_V24, "v24 development set (written as training data: crisis and look-alikes)"),
    "v25": (HELD_OUT_V25, "v25 development set (written as held-out, scored once, since tuned + trained on)"),
    "v26": (HELD_OUT_V26, "held-out v26 (written without seeing the detectors; never tuned or trained on)"),
}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--errors", action="store_true", help="print every misclassified message")
    parser.add_argument(
        "--rules-only", action="store_true", help="switch the classifier off: the lexicons and patterns alone"
    )
    for name, (_, title) in OPTIONAL_SETS.items():
        parser.add_argument(f"--{name}", action="store_true", help=f"also score the {title}")
    args = parser.parse_args()
    det = Detectors(model=not args.rules_only)
    tuned = tuned_messages(args.seed)
    convs = conversations(args.seed)
    for m in tuned[:50]:  # warm caches (stems, regexes, the model), as a running service has them
        await det.turn(m.text, {})
    det.latencies_ms.clear()
    results = {"tuned": await score_messages(det, tuned, "tuned set (templates)", args.errors)}
    await score_messages(
        det, HELD_OUT_V1, "held-out v1 (seen: lexicons widened after its first run)", args.errors
    )
    results["held-out v2"] = await score_messages(
        det, HELD_OUT, "held-out v2 (seen: lexicons widened after its first run)", args.errors
    )
    for name, (messages, title) in OPTIONAL_SETS.items():
        if getattr(args, name):
            results[title.split(" (")[0]] = await score_messages(det, messages, title, args.errors)
    await score_conversations(det, convs, args.errors)
    lat = sorted(det.latencies_ms)
    p95 = lat[int(len(lat) * 0.95)]
    print(f"\nlatency, all five detectors per message: p50 {statistics.median(lat):.3f} ms, p95 {p95:.3f} ms "
          f"over {len(lat)} distinct messages, first sighting each (target p50 <= 1 ms)")  # fmt: skip
    print(
        "classifier: off (--rules-only)" if args.rules_only else f"classifier: on, model {det.model_version}"
    )
    for title, result in results.items():
        check_targets(result, title)


if __name__ == "__main__":
    asyncio.run(main())
