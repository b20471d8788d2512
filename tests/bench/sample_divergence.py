#!/usr/bin/python3
"""How like the music are the sequences a model plays? Jensen-Shannon divergence (bits, 0 = same, 1 = disjoint)
between the n-gram histograms (n = 1, 2, 3) of 10 000 labels sampled at temperature 1 and those of the bundle's
test part (the last 10 % of each source), for a model file (sampled by `concatseq sample`, the code SeqPredict
runs) and for modified Kneser-Ney of the order eval chooses on validation (sampled from the independent Python
implementation of tests/scripts/ngram_reference.py, trained on the training part only); and, as the yardstick,
for the training part itself (how far the music's own earlier 80 % is from its last 10 %).

Usage: /usr/bin/python3 tests/bench/sample_divergence.py CONCATSEQ BUNDLE MODEL [N=10000]
"""
import collections
import json
import math
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from ngram_reference import Reference, split_parts  # noqa: E402


def sources(cs, bundle):
    out = subprocess.run([cs, "info", bundle, "--units"], check=True, capture_output=True, text=True).stdout
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    seqs = collections.defaultdict(list)
    for r in rows:
        seqs[int(r[1])].append((int(r[2]), int(r[6])))
    return [[lab for _, lab in sorted(v)] for _, v in sorted(seqs.items())]


def grams(seq, n):
    return collections.Counter(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))


def jsd(a, b):
    ta, tb = sum(a.values()), sum(b.values())
    d = 0.0
    for k in set(a) | set(b):
        p, q = a.get(k, 0) / ta, b.get(k, 0) / tb
        m = (p + q) / 2
        d += (p * math.log2(p / m) if p else 0.0) + (q * math.log2(q / m) if q else 0.0)
    return d / 2


def main():
    cs, bundle, model = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    seqs = sources(cs, bundle)
    test = []
    for s in seqs:
        test.append(s[split_parts(len(s), 0.1, 0.1)[1]:])
    ev = json.loads(subprocess.run([cs, "eval", bundle, model, "--json"], check=True, capture_output=True,
                                   text=True).stdout)
    V, order = ev["labels"], int(ev["setting"]["modified_kneser_ney"].split()[-1])
    net = [int(x) for x in subprocess.run([cs, "sample", bundle, model, "-n", str(n), "--seed", "1"], check=True,
                                          capture_output=True, text=True).stdout.split()]
    ref = Reference(seqs, V, 0.1, 0.1, "mkn", order)
    rng = random.Random(1)
    mkn = []
    for _ in range(n):
        p = [ref.prob(mkn[-(order - 1):] if order > 1 else [], w) for w in range(V)]
        mkn.append(rng.choices(range(V), weights=p)[0])
    print("%s: %d test labels, %d sampled; Jensen-Shannon divergence (bits) to the test part" % (
        bundle, sum(map(len, test)), n))
    train = [s[:split_parts(len(s), 0.1, 0.1)[0]] for s in seqs]
    for name, parts in (("model " + ev.get("arch", "?"), [net]), ("modified KN order %d" % order, [mkn]),
                        ("the training part", train)):
        ds = []
        for k in (1, 2, 3):
            t, h = collections.Counter(), collections.Counter()
            for part in test:
                t.update(grams(part, k))
            for part in parts:
                h.update(grams(part, k))
            ds.append(jsd(h, t))
        print("  %-22s n=1 %.4f  n=2 %.4f  n=3 %.4f" % (name, *ds))


if __name__ == "__main__":
    main()
