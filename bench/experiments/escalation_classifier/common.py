import json
import os
from collections import Counter
from pathlib import Path

CRISIS = {"topic:self_harm", "topic:medical_emergency"}
WORKDIR = Path(os.environ.get("CLF_WORKDIR", "/tmp/clf"))
D = json.loads((WORKDIR / "data.json").read_text())


def ylabels(r):
    L = set(r["labels"])
    return {
        "crisis": bool(CRISIS & L),
        "human_request": "human_request" in L,
        "frustration": "frustration" in L,
    }


def lexpred(r):
    L = set(r["lex"])
    return {
        "crisis": bool(CRISIS & L),
        "human_request": "human_request" in L,
        "frustration": "frustration" in L,
    }


def lex_escalated(r):
    return any(not g.startswith("bot_question") for g in r["lex"])


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(rows, preds, escalated):
    """preds: list of dict label->bool; escalated: list of bool (any escalation)."""
    out = {}
    for lab in ("crisis", "human_request", "frustration"):
        c = Counter()
        for r, p in zip(rows, preds, strict=False):
            y = ylabels(r)[lab]
            if y and p[lab]:
                c["tp"] += 1
            elif y:
                c["fn"] += 1
            elif p[lab]:
                c["fp"] += 1
        out[lab] = (*prf(c["tp"], c["fp"], c["fn"]), c["tp"] + c["fn"])
    neu = [e for r, e in zip(rows, escalated, strict=False) if r["neutral"]]
    out["neutral_fp"] = (sum(neu) / len(neu) if neu else 0.0, sum(neu), len(neu))
    return out


def fmt(name, s):
    c, h, f = s["crisis"], s["human_request"], s["frustration"]
    n = s["neutral_fp"]
    return (
        f"{name:38} crisis R {c[1]:.3f} P {c[0]:.3f} | HR R {h[1]:.3f} P {h[0]:.3f} | "
        f"frus F1 {f[2]:.3f} (P {f[0]:.3f} R {f[1]:.3f}) | neutral FP {n[0]:.2%} ({n[1]}/{n[2]})"
    )
