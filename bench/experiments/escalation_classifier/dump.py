"""Dump every labelled set + the lexicon detectors' per-message predictions to JSON.
Run from /work/main with /work/main/.venv/bin/python (PYTHONDONTWRITEBYTECODE=1)."""

import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from escalation_accuracy import Detectors, fired
from escalation_corpus import HELD_OUT, HELD_OUT_V1, HELD_OUT_V3, is_neutral, tuned_messages
from escalation_corpus_v4 import DEV_V4, HELD_OUT_V5
from escalation_corpus_v6 import HELD_OUT_V6
from escalation_corpus_v7 import HELD_OUT_V7
from escalation_corpus_v8 import HELD_OUT_V8


async def main():
    det = Detectors()
    sets = {
        "v1": HELD_OUT_V1,
        "v2": HELD_OUT,
        "v3": HELD_OUT_V3,
        "v4": DEV_V4,
        "v5": HELD_OUT_V5,
        "v6": HELD_OUT_V6,
        "v7": HELD_OUT_V7,
        "v8": HELD_OUT_V8,
    }
    for seed in (7, 11, 23):
        sets[f"tuned{seed}"] = tuned_messages(seed)
    out = []
    for m in sets["tuned7"][:50]:
        await det.turn(m.text, {})
    for name, msgs in sets.items():
        for m in msgs:
            got = fired(await det.turn(m.text, {}))
            out.append(
                {
                    "set": name,
                    "text": m.text,
                    "group": m.group,
                    "labels": sorted(m.labels),
                    "neutral": is_neutral(m.group),
                    "lex": sorted(got),
                }
            )
    workdir = Path(os.environ.get("CLF_WORKDIR", "/tmp/clf"))
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "data.json").write_text(json.dumps(out))
    print(len(out), "lexicon p50 ms", statistics.median(det.latencies_ms))


asyncio.run(main())
