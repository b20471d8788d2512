"""Structural checks of a corpus bundle, written from corpus-tools/BUNDLE.md (independent of the C reader).

usage: /usr/bin/python3 check_bundle.py BUNDLE [--sources N] [--segment grain|onset|novelty] [--channels N]
                                          [--rate HZ] [--min-units N] [--labels K]
Exits non-zero with a message on the first violated property; prints a one-line summary otherwise.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wavio import read_wav  # noqa: E402

MAGIC, VERSION, HEADER, FIXED, SPLIT = 4412245, 1, 16, 8, 65536


def fail(msg):
    print(f"check_bundle: FAILED: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("--sources", type=int)
    ap.add_argument("--segment")
    ap.add_argument("--channels", type=int)
    ap.add_argument("--rate", type=int)
    ap.add_argument("--min-units", type=int, default=1)
    ap.add_argument("--labels", type=int)
    a = ap.parse_args()
    b = a.bundle
    for name in ("corpus.json", "audio.wav", "units.wav"):
        check(os.path.isfile(os.path.join(b, name)), f"{name} missing")
    extra = set(os.listdir(b)) - {"corpus.json", "audio.wav", "units.wav"}
    check(not extra, f"unexpected files in bundle: {sorted(extra)}")
    m = json.load(open(os.path.join(b, "corpus.json")))
    check(m["format"] == "concatseq-corpus" and m["version"] == 1, "format/version")
    audio, rate, tag, bits = read_wav(os.path.join(b, "audio.wav"))
    check(tag == 3 and bits == 32, "audio.wav must be float32")
    check(rate == m["sample_rate"], "audio rate != manifest")
    check(audio.shape[1] == m["channels"], "audio channels != manifest")
    check(audio.shape[0] == m["frames"], "audio frames != manifest")
    check(np.all(np.isfinite(audio)), "audio has non-finite samples")
    check(float(np.max(np.abs(audio))) > 0, "audio is silent")
    if a.channels:
        check(m["channels"] == a.channels, f"channels {m['channels']} != {a.channels}")
    if a.rate:
        check(m["sample_rate"] == a.rate, f"rate {m['sample_rate']} != {a.rate}")
    if a.segment:
        check(m["segmentation"]["method"] == a.segment, "segmentation method")

    t, urate, tag, bits = read_wav(os.path.join(b, "units.wav"))
    check(tag == 3 and bits == 32 and t.shape[1] == 1, "units.wav must be mono float32")
    t = t[:, 0].astype(np.float64)
    check(t[0] == MAGIC and t[1] == VERSION, "unit table magic/version")
    n, d, stride = int(t[2]), int(t[3]), int(t[4])
    check(stride == FIXED + d and int(t[5]) == HEADER, "stride/header size")
    check(t[6] == m["sample_rate"] and t[7] == m["channels"], "table rate/channels")
    check(int(t[8]) * SPLIT + int(t[9]) == m["frames"], "table audio frames")
    k, nsrc, noise = int(t[10]), int(t[11]), int(t[12])
    loff, moff = int(t[13]), int(t[14])
    check(n == m["units"] and k == m["labels"], "units/labels != manifest")
    check(n >= a.min_units, f"only {n} units")
    if a.labels:
        check(k == a.labels, f"{k} labels, expected {a.labels}")
    check(nsrc == len(m["sources"]), "number of sources")
    if a.sources:
        check(nsrc == a.sources, f"{nsrc} sources, expected {a.sources}")
    check(loff == HEADER + n * stride and moff == loff + 2 * k and len(t) == moff + n, "section offsets/size")
    rows = t[HEADER:loff].reshape(n, stride)
    check(np.all(np.isfinite(rows)), "non-finite value in a row")
    start = rows[:, 0].astype(np.int64) * SPLIT + rows[:, 1].astype(np.int64)
    length = rows[:, 2].astype(np.int64) * SPLIT + rows[:, 3].astype(np.int64)
    label, source, succ = rows[:, 4].astype(int), rows[:, 5].astype(int), rows[:, 6].astype(int)
    check(np.all(length > 0), "a unit has zero length")
    check(np.all(start + length <= m["frames"]), "a unit runs past the audio")
    check(np.all((label >= 0) & (label < k)), "label out of range")
    check(np.all((source >= 0) & (source < nsrc)), "source out of range")
    check(np.all((succ >= -1) & (succ < n)), "successor out of range")
    # units lie inside their own source and are in time order within it
    for i, s in enumerate(m["sources"]):
        idx = np.nonzero(source == i)[0]
        check(len(idx) == s["units"], f"source {i}: unit count")
        check(len(idx) > 0, f"source {i} has no unit")
        check(np.all(np.diff(idx) == 1) and idx[0] == s["first_unit"], f"source {i}: units not contiguous")
        check(np.all(np.diff(start[idx]) > 0), f"source {i}: units not in time order")
        check(start[idx[0]] >= s["offset"] and np.all(start[idx] + length[idx] <= s["offset"] + s["frames"]),
              f"source {i}: a unit lies outside its source")
        for u in idx:
            if succ[u] >= 0:
                check(source[succ[u]] == i and start[succ[u]] >= start[u] + length[u], f"unit {u}: bad successor")
    # label sections: members sorted by label then unit, counts agree
    lab = t[loff:moff].reshape(k, 2).astype(int)
    members = t[moff:].astype(int)
    check(lab[:, 1].sum() == n, "label counts do not sum to the units")
    for l in range(k):
        mem = members[lab[l, 0]:lab[l, 0] + lab[l, 1]]
        check(np.all(label[mem] == l) and np.all(np.diff(mem) > 0), f"label {l}: members")
        if l != noise:
            check(lab[l, 1] > 0, f"label {l} has no unit")
    # descriptors: names, units, statistics, and the normalised values undo to the recorded range
    descs = m["descriptors"]
    check(len(descs) == d, "descriptor count")
    for j, e in enumerate(descs):
        check(e["unit"] in ("", "dB", "Hz", "s", "dBFS"), f"descriptor {e['name']}: unit {e['unit']!r}")
        raw = rows[:, FIXED + j] * e["scale"] + e["center"]
        tol = 1e-3 * max(1.0, abs(e["max"]), abs(e["min"]))
        check(abs(raw.min() - e["min"]) <= tol and abs(raw.max() - e["max"]) <= tol, f"descriptor {e['name']} range")
    labs = m["clustering"]["labels"]
    check(len(labs) == k and all(labs[l]["units"] == lab[l, 1] for l in range(k)), "manifest label counts")
    dur = length / m["sample_rate"]
    print(f"check_bundle: ok: {nsrc} sources, {n} units, {k} labels, {d} descriptors, "
          f"{m['frames'] / m['sample_rate']:.2f} s, unit duration {dur.min():.4f}..{dur.max():.4f} s")
    assert math.isfinite(dur.sum())


if __name__ == "__main__":
    main()
