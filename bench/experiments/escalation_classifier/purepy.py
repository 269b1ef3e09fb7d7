"""Pure-Python inference for the TF-IDF (word 1-2 + char_wb 3-5) linear heads: what would
ship in the product (no numpy/sklearn at run time; the model is a JSON data file)."""

import json
import math
import re

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WS = re.compile(r"\s\s+")


def word_feats(text):
    toks = _TOKEN.findall(text.lower())
    return toks + [toks[i] + " " + toks[i + 1] for i in range(len(toks) - 1)]


def char_wb_feats(text, lo=3, hi=5):
    out = []
    for w in _WS.sub(" ", text.lower()).split():
        w = " " + w + " "
        L = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset : offset + n])
            while offset + n < L:
                offset += 1
                out.append(w[offset : offset + n])
            if offset == 0:
                break
    return out


class Model:
    def __init__(self, blocks, heads):
        # blocks: {"word"|"char": {ngram: [idf, [w_member0, w_member1, ...] flattened over heads]}}
        # heads: [(label, [(intercept, sig_a, sig_b), ...]), ...]
        self.blocks, self.heads = blocks, heads
        self.n_members = sum(len(m) for _, m in heads)

    def predict(self, text):
        acc = [0.0] * self.n_members
        for name, feats in (("word", word_feats(text)), ("char", char_wb_feats(text))):
            table = self.blocks[name]
            tf = {}
            for f in feats:
                if f in table:
                    tf[f] = tf.get(f, 0) + 1
            if not tf:
                continue
            vals = {f: (1.0 + math.log(c)) * table[f][0] for f, c in tf.items()}
            norm = math.sqrt(sum(v * v for v in vals.values()))
            for f, v in vals.items():
                x = v / norm
                ws = table[f][1]
                for k in range(self.n_members):
                    acc[k] += x * ws[k]
        out, k = {}, 0
        for label, members in self.heads:
            p = 0.0
            for b, a, c in members:
                z = a * (acc[k] + b) + c
                p += 1.0 / (1.0 + math.exp(z)) if z > -700 else 1.0
                k += 1
            out[label] = p / len(members)
        return out

    def describe(self):
        nw, nc = len(self.blocks["word"]), len(self.blocks["char"])
        return f"{nw} word + {nc} char n-grams = {nw + nc} features x {self.n_members} weight columns ({(nw + nc) * (self.n_members + 1)} floats)"

    def save(self, path):
        def rnd(x):
            return float(f"{x:.5g}")

        blocks = {
            n: {f: [rnd(i), [rnd(w) for w in ws]] for f, (i, ws) in t.items()} for n, t in self.blocks.items()
        }
        json.dump({"blocks": blocks, "heads": self.heads}, open(path, "w"), separators=(",", ":"))

    @classmethod
    def load(cls, path):
        d = json.load(open(path))
        return cls(d["blocks"], [(l, [tuple(m) for m in ms]) for l, ms in d["heads"]])


def build_model(vectorizers, members, labels):
    wv, cv = vectorizers
    cols, heads = [], []
    for lab in labels:
        heads.append((lab, [(b, a, c) for (_, b, a, c) in members[lab]]))
        cols += [coef for (coef, _, _, _) in members[lab]]
    blocks, off = {}, 0
    for name, v in (("word", wv), ("char", cv)):
        vocab, idf = v.vocabulary_, v.idf_
        blocks[name] = {f: (float(idf[i]), [float(c[off + i]) for c in cols]) for f, i in vocab.items()}
        off += len(vocab)
    # sanity: analyzers match sklearn's
    for t in ("Hello  there, I'm NOT ok!!", "a b", "agnet pls"):
        assert wv.build_analyzer()(t) == word_feats(t), t
        assert cv.build_analyzer()(t) == char_wb_feats(t), t
    return Model(blocks, heads)
