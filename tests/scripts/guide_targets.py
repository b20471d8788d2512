#!/usr/bin/python3
"""Targets and tables for the guidance tests (tests/sc/seqpredict_guide.sh), read with our own WAV reader.

  guide_targets.py make UNITS.wav OUTDIR N SEED D1 D2 ...
      N descriptor targets over the descriptors D1 D2 ...: step i aims at a label k (random among the non-empty
      ones) with its centroid's values plus Gaussian noise (sd 0.15), as float32. Writes OUTDIR/targets.wav
      (N frames, one channel per descriptor: what the NRT score plays into SeqPredict's target pairs) and
      OUTDIR/targets.txt (one line "d v d v ..." per step, %.9g: exact float32, for the C reference and sclang).
      The centroids are read from the unit table's listening section (corpus-tools/BUNDLE.md).
  guide_targets.py v2 UNITS.wav OUT.wav
      The same table in the version 2 layout (20 header floats, no listening section; offsets moved back by the
      4 header floats, the index's absolute offsets too): what a bundle of an older concatseq holds.
  guide_targets.py abuse OUT.wav
      Target values and guidances that a user could send by mistake: NaN, inf, -inf, +-1e30, 1e6, 2e6, -5, 0 and
      ordinary values (one channel).
  guide_targets.py check REC.wav V
      Every recorded step [label, probability, entropy] is finite and in range (label an integer -2 .. V-1,
      probability 0 .. 1, entropy 0 .. log2 V); prints the number of steps and of guided-looking ones; exit 1 if not.
  guide_targets.py steps REC.wav N
      The labels of the N steps recorded by the score (channel 0 of REC.wav, one frame per step), one line.
"""
import random
import struct
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import wavio  # noqa: E402

SPLIT = 65536


def split(t, i):
    return int(t[i]) * SPLIT + int(t[i + 1])


def table(path):
    x, _, _, _ = wavio.read_wav(path)
    return x[:, 0].astype(np.float32)


def listen(t):
    """(D, K, centroids K x D, counts K) of a version 3 table."""
    D, K = int(t[3]), int(t[10])
    y = split(t, 19)
    if int(t[1]) != 3 or y == 0:
        raise SystemExit("not a version 3 table with a listening section")
    fixed = int(t[y + 2])
    cen = t[y + fixed + 3 * D:y + fixed + 3 * D + K * D].reshape(K, D)
    lab = split(t, 13)
    counts = [int(t[lab + 2 * k + 1]) for k in range(K)]
    return D, K, cen, counts


def make(units, outdir, n, seed, dims):
    t = table(units)
    D, K, cen, counts = listen(t)
    rnd = random.Random(seed)
    labels = [k for k in range(K) if counts[k] > 0]
    rows = []
    for _ in range(n):
        k = rnd.choice(labels)
        rows.append([np.float32(cen[k, d] + rnd.gauss(0.0, 0.15)) for d in dims])
    rows = np.array(rows, dtype=np.float32)
    wavio.write_wav(outdir + "/targets.wav", rows.reshape(-1), 48000, channels=len(dims))
    with open(outdir + "/targets.txt", "w") as f:
        for r in rows:
            f.write(" ".join("%d %.9g" % (d, float(v)) for d, v in zip(dims, r)) + "\n")


def to_v2(units, out):
    t = table(units).astype(np.float64)
    y = split(t, 19)
    body = t[24:y] if y else t[24:]
    h = t[:20].copy()
    h[1], h[5] = 2, 20

    def put(i, v):
        h[i], h[i + 1] = v // SPLIT, v % SPLIT

    for f in (13, 15):
        put(f, split(t, f) - 4)
    x = split(t, 17)
    if x:
        put(17, x - 4)
        body = body.copy()
        xb = x - 24  # the index header inside body
        # order and nodes offsets (absolute), and the rows offset of index versions 3 to 5 (BUNDLE.md "Index")
        for f in (5, 7, 9) if body[xb + 1] >= 3 else (5, 7):
            v = int(body[xb + f]) * SPLIT + int(body[xb + f + 1]) - 4
            body[xb + f], body[xb + f + 1] = v // SPLIT, v % SPLIT
    wavio.write_wav(out, np.concatenate([h, body]), 48000)


def abuse(out):
    v = [np.nan, np.inf, -np.inf, 1e30, -1e30, 0.5, -0.5, 3.0, 100.0, 1e6, 2e6, -5.0, 0.0, 1.0]
    wavio.write_wav(out, np.array(v, dtype=np.float64), 48000)


def check(rec, vocab):
    x, _, _, _ = wavio.read_wav(rec)
    steps = [r for r in x if r[0] != 0.0 or r[1] != 0.0 or r[2] != 0.0]
    bad = [r for r in x if not np.all(np.isfinite(r)) or r[0] != np.round(r[0]) or r[0] < -2 or r[0] > vocab - 1
           or r[1] < 0 or r[1] > 1.0001 or r[2] < 0 or r[2] > np.log2(vocab) + 1e-3]
    print("%d steps recorded, %d out of range" % (len(steps), len(bad)))
    sys.exit(0 if not bad and len(steps) > 100 else 1)


def steps(rec, n):
    x, _, _, _ = wavio.read_wav(rec)
    print(" ".join(str(int(v)) for v in x[:n, 0]))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), [int(d) for d in sys.argv[6:]])
    elif cmd == "v2":
        to_v2(sys.argv[2], sys.argv[3])
    elif cmd == "abuse":
        abuse(sys.argv[2])
    elif cmd == "check":
        check(sys.argv[2], int(sys.argv[3]))
    elif cmd == "steps":
        steps(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
