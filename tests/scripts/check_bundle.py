"""Structural checks of a corpus bundle, written from corpus-tools/BUNDLE.md (independent of the C reader).

usage: /usr/bin/python3 check_bundle.py BUNDLE [--sources N] [--segment grain|onset|novelty] [--channels N]
                                          [--rate HZ] [--min-units N] [--labels K] [--allow NAME,...]
                                          [--label-rule]
Exits non-zero with a message on the first violated property; prints a one-line summary otherwise.
--label-rule: every unit's label is its nearest weighted centroid (BUNDLE.md "Label of a sound"), the rule the
server labels a live sound with; k-means labels satisfy it (the check says how many units agree when not).
"""
import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wavio import read_wav  # noqa: E402

MAGIC, VERSION, HEADER, FIXED, SPLIT = 4412245, 3, 24, 8, 65536
LISTEN_MAGIC, LISTEN_VERSION, LISTEN_FIXED = 4412236, 1, 32
SEGMENTATIONS, NORMS = ("grain", "onset", "novelty"), ("zscore", "robust")
ONSET_DEFAULTS = {"threshold": 0.5, "delta": 0.1, "median_ms": 100, "min_ms": 50, "max_ms": 2000, "pre_ms": 5,
                  "refine_ms": 30}  # cs_onset_params_default (corpus-tools/src/cs_segment.c)
INDEX_MAGIC, INDEX_VERSION, INDEX_HEADER, NODE_FIXED, ROW_BLOCK = 4412233, 5, 12, 4, 8


def fail(msg):
    print(f"check_bundle: FAILED: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def split_left(b, c):
    """BUNDLE.md's split rule: of the multiples of 8 strictly between b and b + c, the one nearest b + c // 2 (ties:
    the lower one), minus b; c // 2 when there is none."""
    m = b + c // 2
    inside = range((b // ROW_BLOCK + 1) * ROW_BLOCK, b + c, ROW_BLOCK)
    return min(inside, key=lambda s: (abs(s - m), s)) - b if len(inside) else c // 2


def check_index(t, x, n, d, k, lab, members, desc, label):
    """The nearest-neighbour index (BUNDLE.md, "Index"): per label a preorder k-d tree whose nodes split their
    range of the order section in two, whose boxes hold their units, and whose order section holds exactly the
    label's units. These are the properties that make the tree search return the brute-force answer. The rows
    section after the nodes holds every order entry's descriptors, exactly, in blocks of 8 entries column by column
    (+0 past the last unit). Index version 5: node field 3 is 1 + the split dimension of an internal node (the
    widest of its box, ties to the lower; the left child's box max on it <= the right child's box min) and 0 in a
    leaf, and the left child's count follows the split rule, so leaves hold whole blocks of 8 rows."""
    check(t[x] == INDEX_MAGIC and t[x + 1] == INDEX_VERSION, "index magic/version")
    nodes, nstride, leaf = (int(v) for v in t[x + 2:x + 5])
    oo, po = int(t[x + 5]) * SPLIT + int(t[x + 6]), int(t[x + 7]) * SPLIT + int(t[x + 8])
    ro = int(t[x + 9]) * SPLIT + int(t[x + 10])
    check(t[x + 11] == 0, "index reserved field")
    check(nstride == NODE_FIXED + 2 * d and leaf >= 1, "index node stride / leaf size")
    nb = (n + ROW_BLOCK - 1) // ROW_BLOCK
    check(oo == x + INDEX_HEADER + 2 * k and po == oo + n and ro == po + nodes * nstride and
          len(t) == ro + nb * ROW_BLOCK * d, "index sections")
    roots = t[x + INDEX_HEADER:oo].reshape(k, 2).astype(np.int64)
    order = t[oo:po].astype(np.int64)
    nd = t[po:ro].reshape(nodes, nstride)
    # index versions 4, 5: blocks of 8 order entries, column by column (block b, descriptor j, lane i at b, j, i)
    rows = t[ro:].reshape(nb, d, ROW_BLOCK).transpose(0, 2, 1).reshape(nb * ROW_BLOCK, d)
    check(np.all((rows[n:] == 0) & ~np.signbit(rows[n:])), "index: a padding lane of the rows section is not +0")
    check(np.array_equal(rows[:n], desc[order]), "index: the rows section is not the units' descriptors "
          "in tree order")
    begin, count, size = nd[:, 0].astype(np.int64), nd[:, 1].astype(np.int64), nd[:, 2].astype(np.int64)
    split = nd[:, 3]
    lo, hi = nd[:, NODE_FIXED:NODE_FIXED + d], nd[:, NODE_FIXED + d:]
    check(np.all(lo <= hi), "index: a box has lo > hi")
    expect_root = 0
    for l in range(k):
        first, cnt = lab[l]
        root, nc = roots[l]
        if cnt == 0:
            check(root == -1 and nc == 0, f"index: empty label {l} has a tree")
            continue
        check(root == expect_root and nc >= 1, f"index: label {l} root")
        expect_root += nc
        o = order[first:first + cnt]
        check(np.array_equal(np.sort(o), members[first:first + cnt]), f"index: label {l} order is not its units")
        check(begin[root] == first and count[root] == cnt and size[root] == nc, f"index: label {l} root range")
        for i in range(root, root + nc):
            b, c, s = begin[i], count[i], size[i]
            check(first <= b and b + c <= first + cnt and c >= 1 and 1 <= s <= root + nc - i, f"index: node {i}")
            if s == 1:
                u = order[b:b + c]
                check(np.all(desc[u] >= lo[i]) and np.all(desc[u] <= hi[i]), f"index: leaf {i} box misses a unit")
                check(split[i] == 0 and c <= leaf, f"index: leaf {i} has a split dimension or too many units")
                check(leaf < ROW_BLOCK or ((b == first or b % ROW_BLOCK == 0) and
                                           (b + c == first + cnt or (b + c) % ROW_BLOCK == 0)),
                      f"index: leaf {i} is not whole blocks of {ROW_BLOCK} rows")
                continue
            left = i + 1
            right = left + size[left]
            check(right < root + nc and 1 + size[left] + size[right] == s, f"index: node {i} subtree sizes")
            check(begin[left] == b and begin[right] == b + count[left] and count[left] + count[right] == c,
                  f"index: node {i} children do not split its range")
            for ch in (left, right):
                check(np.all(lo[ch] >= lo[i]) and np.all(hi[ch] <= hi[i]), f"index: node {ch} box leaves its parent")
            sd = int(split[i]) - 1
            width = hi[i].astype(np.float64) - lo[i].astype(np.float64)
            check(split[i] == sd + 1 and 0 <= sd < d and sd == int(np.argmax(width)),
                  f"index: node {i} split field {split[i]} is not 1 + its widest dimension {int(np.argmax(width))}")
            check(hi[left][sd] <= lo[right][sd], f"index: node {i} children overlap on their split dimension {sd}")
            check(count[left] == split_left(b, c), f"index: node {i} left child of {count[left]} units, "
                  f"the split rule gives {split_left(b, c)}")
    check(expect_root == nodes, "index: node count")


def f32(x):
    return float(np.float32(x))


def near_f32(got, want):
    """A float32 of the table against the double the manifest prints: cJSON writes 15 significant digits when
    they read back within DBL_EPSILON, which can round to the neighbouring float, so: within one float step."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return bool(np.all(np.abs(got - want) <= np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)))


def check_listen(t, y, m, n, d, k, lab, members, desc, label, rule):
    """The listening section (BUNDLE.md, "Listening section"): every value against the manifest, the centroids
    against the label means of the rows, and (rule) every unit's label against the nearest weighted centroid."""
    F = LISTEN_FIXED
    check(len(t) == y + F + 3 * d + k * d, "listening section size")
    h = t[y:y + F]
    check(h[0] == LISTEN_MAGIC and h[1] == LISTEN_VERSION and h[2] == F, "listening section magic/version/size")
    check(np.all(h[28:] == 0), "listening section reserved fields")
    an, seg, rate = m["analysis"], m["segmentation"], m["sample_rate"]
    want = [rate, an["fft_size"], an["hop"], an["mel_bands"], an["mel_fmin_hz"], an["mel_fmax_hz"],
            an["rolloff_fraction"], an["yin_threshold"], an["f0_min_hz"], an["f0_max_hz"]]
    check(all(h[3 + i] == f32(v) for i, v in enumerate(want)), f"listening section frame analysis {h[3:13]} != {want}")
    check(h[13] == SEGMENTATIONS.index(seg["method"]), "listening section segmentation")
    glen, ghop = int(h[14]) * SPLIT + int(h[15]), int(h[16]) * SPLIT + int(h[17])
    length = np.array([int(r[2]) * SPLIT + int(r[3]) for r in desc["rows"]])
    if seg["method"] == "grain":
        check(glen == max(1, round(seg["unit_ms"] * 1e-3 * rate)) and ghop == max(1, round(seg["hop_ms"] * 1e-3 * rate)),
              f"listening section grain {glen}/{ghop}")
    else:
        check(ghop == glen and abs(glen - length.mean()) <= 0.5 + 1e-9, f"listening section mean unit length {glen}")
    on = seg if seg["method"] == "onset" else ONSET_DEFAULTS
    mean_flux = an["mean_flux"]
    # delta_abs is the product of the float32 delta and mean flux (cs_onset_delta_abs): the double product of the
    # manifest's values can be more than one float step from it
    want = [on["threshold"], on["delta"], float(f32(float(f32(on["delta"])) * float(f32(mean_flux)))),
            on["median_ms"] / 1e3, on["min_ms"] / 1e3,
            on["max_ms"] / 1e3, on["pre_ms"] / 1e3, on["refine_ms"] / 1e3, mean_flux]
    got = h[18:27]
    check(near_f32(got, want), f"listening section onset {got} != {want}")
    # delta_abs from the stored delta and mean flux exactly as the detector's cs_onset_delta_abs (plugins/core)
    check(h[20] == f32(float(h[19]) * float(h[26])), "listening section delta_abs != delta * mean flux")
    check(h[27] == NORMS.index(m["normalisation"]["method"]), "listening section normalisation method")
    descs = m["descriptors"]
    center, scale, weight = (t[y + F + i * d:y + F + (i + 1) * d] for i in range(3))
    check(near_f32(center, [e["center"] for e in descs]) and near_f32(scale, [e["scale"] for e in descs]) and
          near_f32(weight, [e["weight"] for e in descs]), "listening section center/scale/weight != manifest")
    check(np.all(scale > 0) and np.all(weight >= 0), "listening section scale <= 0 or weight < 0")
    cent = t[y + F + 3 * d:].reshape(k, d)
    labs = m["clustering"]["labels"]
    X = desc["X"]
    for l in range(k):
        # the centroid is the label's mean summed in double in unit order, rounded to float: exactly; the
        # manifest's printed double within one float step (near_f32)
        mem = members[lab[l, 0]:lab[l, 0] + lab[l, 1]]
        mean = np.zeros(d)
        for u in mem:
            mean += X[u]
        mean = (mean / len(mem)) if len(mem) else mean
        check(np.array_equal(cent[l], mean.astype(np.float32)), f"label {l}: centroid is not its units' mean")
        check(near_f32(cent[l], labs[l]["centroid"]), f"label {l}: table centroid != manifest centroid")
    if rule:
        sel = weight > 0
        d2 = (((X[:, None, sel] - cent[None, :, sel]) ** 2) * weight[sel]).sum(axis=-1)
        near = d2.argmin(axis=1)
        agree = int(np.sum(near == label))
        check(agree == n, f"label rule: {agree} of {n} units are labelled with their nearest weighted centroid "
                          f"(first miss: unit {int(np.argmax(near != label))})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("--sources", type=int)
    ap.add_argument("--segment")
    ap.add_argument("--channels", type=int)
    ap.add_argument("--rate", type=int)
    ap.add_argument("--min-units", type=int, default=1)
    ap.add_argument("--labels", type=int)
    ap.add_argument("--allow", default="", help="comma-separated names of other files the bundle may hold")
    ap.add_argument("--label-rule", action="store_true", help="every label is the nearest weighted centroid")
    a = ap.parse_args()
    b = a.bundle
    for name in ("corpus.json", "audio.wav", "units.wav"):
        check(os.path.isfile(os.path.join(b, name)), f"{name} missing")
    extra = set(os.listdir(b)) - {"corpus.json", "audio.wav", "units.wav"} - set(filter(None, a.allow.split(",")))
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
    loff, moff = int(t[13]) * SPLIT + int(t[14]), int(t[15]) * SPLIT + int(t[16])
    check(np.all(t[21:HEADER] == 0), "header reserved fields")
    yoff = int(t[19]) * SPLIT + int(t[20])
    check(n == m["units"] and k == m["labels"], "units/labels != manifest")
    check(n >= a.min_units, f"only {n} units")
    if a.labels:
        check(k == a.labels, f"{k} labels, expected {a.labels}")
    check(nsrc == len(m["sources"]), "number of sources")
    if a.sources:
        check(nsrc == a.sources, f"{nsrc} sources, expected {a.sources}")
    xoff = int(t[17]) * SPLIT + int(t[18])
    check(loff == HEADER + n * stride and moff == loff + 2 * k, "section offsets")
    check(xoff == 0 or xoff == moff + n, "index offset")
    check(yoff > 0, "no listening section (analyze always writes one)")
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
    members = t[moff:moff + n].astype(int)
    check(lab[:, 1].sum() == n, "label counts do not sum to the units")
    for l in range(k):
        mem = members[lab[l, 0]:lab[l, 0] + lab[l, 1]]
        check(np.all(label[mem] == l) and np.all(np.diff(mem) > 0), f"label {l}: members")
        if l != noise and m["clustering"]["method"] != "labels-from":  # another bundle's labels: may be empty
            check(lab[l, 1] > 0, f"label {l} has no unit")
    if xoff:
        check_index(t[:yoff], xoff, n, d, k, lab, members, rows[:, FIXED:], label)
    else:
        check(yoff == moff + n, "listening section offset")
    check_listen(t, yoff, m, n, d, k, lab, members, {"rows": rows, "X": rows[:, FIXED:]}, label, a.label_rule)
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
