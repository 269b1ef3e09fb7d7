from collections import Counter

from common import *

for s in sorted(set(r["set"] for r in D)):
    rows = [r for r in D if r["set"] == s]
    print(
        fmt(
            f"lexicon {s} n={len(rows)}",
            score(rows, [lexpred(r) for r in rows], [lex_escalated(r) for r in rows]),
        )
    )
rows = [r for r in D if r["set"] != "v8"]
print(Counter(r["group"] for r in D if r["set"] == "v8"))
print(Counter(l for r in D if r["set"] == "v8" for l in r["labels"]))
