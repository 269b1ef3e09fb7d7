"""Group-level counts (no texts printed) of v8 errors for the final SVM model, OR combination."""

from collections import Counter

import numpy as np
from common import *
from cv import LABELS, fit_predict, train_rows

v8 = [r for r in D if r["set"] == "v8"]
tr, w = train_rows("hand+tuned@0.25", None)
P = fit_predict(tr, v8, "svm", 0.3, w)
t = np.array([0.45, 0.5, 0.55])
hit = t <= P
c = Counter()
for r, h in zip(v8, hit, strict=False):
    y, lp = ylabels(r), lexpred(r)
    for j, l in enumerate(LABELS):
        if h[j] and not y[l]:
            c[(l, "clf FP", r["group"], "lex also" if lp[l] else "clf only")] += 1
        if y[l] and not (h[j] or lp[l]):
            c[(l, "OR miss", r["group"])] += 1
        if y[l] and h[j] and not lp[l]:
            c[(l, "clf rescues lexicon miss")] += 1
    if r["neutral"] and h.any():
        c[("neutral FP from clf", r["group"], "lex also FP" if lex_escalated(r) else "new")] += 1
    if r["neutral"] and lex_escalated(r):
        c[("neutral FP from lex", r["group"])] += 1
for k, v in sorted(c.items()):
    print(v, k)
