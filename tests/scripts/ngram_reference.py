#!/usr/bin/python3
"""Reference fixtures for the Kneser-Ney and modified Kneser-Ney baselines of corpus-tools/src/cs_ngram.c.

Written from the paper, not from our C: S. F. Chen and J. Goodman, "An empirical study of smoothing techniques
for language modeling", Harvard TR-10-98 (1998), sec. 3.5 (interpolated Kneser-Ney, eq. 26) and sec. 4.1.6
(modified Kneser-Ney: three discounts D1, D2, D3+, eq. 17-19), interpolated form, with the conventions that
corpus-tools/src/cs_ngram.h documents for the cases the paper leaves open:
  - counts come from the TRAINING part of each source (per source: first labels train, then validation, then
    test: n_test = floor(test * len) last labels, n_val = floor(val * len) before them);
  - every n-gram is padded at the start of its source with a BOS symbol (n - 1 of them), never predicted;
  - the highest order uses raw counts, every lower order continuation counts N1+(. h w) over the distinct
    (k+1)-grams of the order above;
  - counts-of-counts n1..n4 are taken per order over the counts used at that order;
    KN: D = n1 / (n1 + 2 n2) clamped to [0.05, 0.95], 0.75 when n1 or n2 is 0;
    MKN: Y = n1 / (n1 + 2 n2) (0.5 when n1 or n2 is 0), D1 = 1 - 2Y n2/n1 (0.5 when n1 = 0),
    D2 = 2 - 3Y n3/n2 (1 when n2 = 0), D3+ = 3 - 4Y n4/n3 (1.5 when n3 = 0), Dj clamped to [0.05, j - 0.05];
  - the order-1 distribution interpolates with the uniform 1/V; an unseen history backs off entirely.

Run with Debian's interpreter: /usr/bin/python3 tests/scripts/ngram_reference.py
It rewrites tests/fixtures/ngram_ref.txt; tests/c/test_ngram.c (test_reference_fixture) reads only that file.

Layout (plain text, one record a line, blank-separated; numbers printed with %.17g):
  corpus NAME V N_SEQS VAL TEST        then N_SEQS lines "seq LEN l1 l2 ..."
  model KIND ORDER                     KIND kn | mkn; then ORDER lines "disc K D" (kn) or "disc K D1 D2 D3" (mkn),
                                       then lines "prob LABEL P HIST_LEN h1 .. hn" (the most recent label last),
                                       then "bits PART BITS" for PART val and test, then "end"
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "ngram_ref.txt")


def split_parts(n, val, test):
    n_test = math.floor(test * n)
    n_val = math.floor(val * n)
    n_train = n - n_val - n_test
    return n_train, n_train + n_val, n


class Reference:
    """Interpolated KN / modified KN of order n over the training parts, dictionary based."""

    def __init__(self, seqs, V, val, test, kind, n):
        self.V, self.kind, self.n, self.bos = V, kind, n, V
        self.count = [None] + [dict() for _ in range(n)]  # count[k][(h..., w)]
        for s in seqs:
            ntr = split_parts(len(s), val, test)[0]
            for i in range(ntr):
                gram = tuple(s[i - j] if i - j >= 0 else self.bos for j in range(n - 1, -1, -1))
                self.count[n][gram] = self.count[n].get(gram, 0) + 1
        for k in range(n - 1, 0, -1):  # continuation counts: distinct left extensions
            c = {}
            for gram in self.count[k + 1]:
                c[gram[1:]] = c.get(gram[1:], 0) + 1
            self.count[k] = c
        self.disc = [None] * (n + 1)
        self.hist = [None] * (n + 1)  # hist[k][h] = [total, n1, n2, n3plus, distinct]
        for k in range(1, n + 1):
            cc = [0] * 5
            hs = {}
            for gram, c in self.count[k].items():
                if 1 <= c <= 4:
                    cc[c] += 1
                e = hs.setdefault(gram[:-1], [0, 0, 0, 0, 0])
                e[0] += c
                e[4] += 1
                e[1 if c == 1 else 2 if c == 2 else 3] += 1
            self.hist[k] = hs
            self.disc[k] = self.kn_discount(cc) if kind == "kn" else self.mkn_discounts(cc)

    @staticmethod
    def kn_discount(cc):
        n1, n2 = cc[1], cc[2]
        d = n1 / (n1 + 2.0 * n2) if n1 > 0 and n2 > 0 else 0.75
        return [min(0.95, max(0.05, d))]

    @staticmethod
    def mkn_discounts(cc):
        n1, n2, n3, n4 = cc[1], cc[2], cc[3], cc[4]
        y = n1 / (n1 + 2.0 * n2) if n1 > 0 and n2 > 0 else 0.5
        d1 = 1.0 - 2.0 * y * n2 / n1 if n1 > 0 else 0.5
        d2 = 2.0 - 3.0 * y * n3 / n2 if n2 > 0 else 1.0
        d3 = 3.0 - 4.0 * y * n4 / n3 if n3 > 0 else 1.5
        return [min(j + 1 - 0.05, max(0.05, d)) for j, d in enumerate((d1, d2, d3))]

    def prob(self, hist, w):
        """p(w | hist), hist = every earlier label of the source (most recent last)."""
        padded = [self.bos] * max(0, self.n - 1 - len(hist)) + list(hist[max(0, len(hist) - (self.n - 1)):])
        p = 1.0 / self.V
        for k in range(1, self.n + 1):
            h = tuple(padded[len(padded) - (k - 1):]) if k > 1 else ()
            e = self.hist[k].get(h)
            if e is None or e[0] <= 0:
                continue
            c = self.count[k].get(h + (w,), 0)
            tot = e[0]
            if self.kind == "kn":
                d = self.disc[k][0]
                p = max(c - d, 0.0) / tot + d * e[4] / tot * p
            else:
                d1, d2, d3 = self.disc[k]
                dc = 0.0 if c == 0 else d1 if c == 1 else d2 if c == 2 else d3
                gamma = (d1 * e[1] + d2 * e[2] + d3 * e[3]) / tot
                p = (c - dc) / tot + gamma * p
        return p

    def bits(self, seqs, val, test, part):
        tot, cnt = 0.0, 0
        for s in seqs:
            a_val, a_test, end = split_parts(len(s), val, test)
            a, b = (a_val, a_test) if part == "val" else (a_test, end)
            for i in range(a, b):
                tot -= math.log2(self.prob(s[:i], s[i]))
                cnt += 1
        return tot / cnt


def markov_source(rng, V, n, order, sharp):
    table = {}
    seq = []
    for _ in range(n):
        ctx = tuple(seq[-order:])
        if ctx not in table:
            table[ctx] = [rng.random() ** sharp for _ in range(V)]
        weights = table[ctx]
        seq.append(rng.choices(range(V), weights=weights)[0])
    return seq


def corpora():
    rng = random.Random(20261201)
    # a dense second-order source, two sources of different length
    yield "dense", 5, [markov_source(rng, 5, 420, 2, 3.0), markov_source(rng, 5, 90, 2, 3.0)], 0.1, 0.1
    # a sparse one: many labels, few repeats, unseen histories, counts-of-counts with zeros at high orders
    yield "sparse", 14, [markov_source(rng, 14, 160, 1, 6.0)], 0.15, 0.1
    # a repetitive one: a loop with errors (long contexts pay off; n3, n4 > 0 at every order)
    loop = [0, 3, 1, 4, 1, 5, 2, 6]
    s = [loop[i % len(loop)] if rng.random() > 0.1 else rng.randrange(7) for i in range(300)]
    yield "loop", 7, [s, s[:40]], 0.1, 0.2


def main():
    rng = random.Random(7)
    lines = ["# generated by tests/scripts/ngram_reference.py (Chen & Goodman 1998 KN / modified KN); do not edit"]
    for name, V, seqs, val, test in corpora():
        lines.append("corpus %s %d %d %.17g %.17g" % (name, V, len(seqs), val, test))
        for s in seqs:
            lines.append("seq %d %s" % (len(s), " ".join(map(str, s))))
        for kind, order in (("kn", 2), ("kn", 3), ("kn", 5), ("mkn", 2), ("mkn", 3), ("mkn", 4), ("mkn", 8),
                            ("mkn", 12)):
            m = Reference(seqs, V, val, test, kind, order)
            lines.append("model %s %d" % (kind, order))
            for k in range(1, order + 1):
                lines.append("disc %d %s" % (k, " ".join("%.17g" % d for d in m.disc[k])))
            queries = []
            s0 = seqs[0]
            for _ in range(24):  # real histories (seen contexts), of every length
                i = rng.randrange(len(s0))
                h = s0[max(0, i - rng.randrange(order + 1)):i]
                queries.append(h)
            for _ in range(12):  # random histories (mostly unseen)
                queries.append([rng.randrange(V) for _ in range(rng.randrange(order + 1))])
            for h in queries:
                for w in range(V):
                    lines.append("prob %d %.17g %d %s" % (w, m.prob(h, w), len(h), " ".join(map(str, h))))
            lines.append("bits val %.17g" % m.bits(seqs, val, test, "val"))
            lines.append("bits test %.17g" % m.bits(seqs, val, test, "test"))
            lines.append("end")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.normpath(OUT), len(lines), "lines")


if __name__ == "__main__":
    main()
