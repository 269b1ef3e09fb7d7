"""Saved JSON (weights rounded to 5 significant digits) vs exact sklearn probabilities on v8, and threshold flips."""

import numpy as np
import purepy
from common import *
from cv import LABELS, fit_predict, train_rows

v8 = [r for r in D if r["set"] == "v8"]
for path, m, C, t in (
    ("model_lr_hand_tunedw0.25.json", "lr", 30.0, (0.5, 0.6, 0.65)),
    ("model_svm_hand_tunedw0.25.json", "svm", 0.3, (0.45, 0.5, 0.55)),
):
    tr, w = train_rows("hand+tuned@0.25", None)
    P = fit_predict(tr, v8, m, C, w)
    mod = purepy.Model.load(path)
    Q = np.array([[mod.predict(r["text"])[l] for l in LABELS] for r in v8])
    print(path, "max diff", np.abs(P - Q).max(), "decision flips", int(((t <= P) != (t <= Q)).sum()))
