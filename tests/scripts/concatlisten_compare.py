#!/usr/bin/env python3
"""Compare ConcatListen's outputs recorded in scsynth (tests/sc/concatlisten_nrt.scd) with the bundle's units.

usage: concatlisten_compare.py BUNDLE ROWS.wav BLOCK TOLERANCE_SAMPLES [--exact] [--min-agree PERCENT]
                               [--reset OUT.wav]

ROWS.wav holds one row per control period k: trig, label, distance, the num_descriptors normalised descriptors
(every descriptor, in column order), age (s). A row with trig 1 reports a unit that started at sample
(k + 1) * BLOCK - round(age * rate) of the packed audio (the end of block k minus its age). Each unit of the
table (units.wav) is matched with the report whose start is nearest, within TOLERANCE_SAMPLES (0 for grains: the
same start; one analysis hop for onsets). Prints the counts and the label agreement in percent (of all the
table's units); fails when fewer than --min-agree percent of the units are matched or agree, when --exact and a
matched unit's descriptors differ from the table's by more than 1e-5 * max(1, |value|), when a reported label is
not the nearest weighted centroid of the reported descriptors (the listening section's rule), or when any output
is not finite. --reset writes the reset signal for the bundle (1 at the first sample of every source after the
first, and at the end of the audio) and exits.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wavio import read_wav, write_wav  # noqa: E402


def parse_table(path):
    """The unit table (corpus-tools/BUNDLE.md, version 3): units (start, label, descriptors) and the listening
    section's weights and centroids."""
    x, _, _, _ = read_wav(path)
    x = x.reshape(-1).astype(np.float64)
    n, d, stride, hsize, k = int(x[2]), int(x[3]), int(x[4]), int(x[5]), int(x[10])
    if int(x[1]) != 3:
        raise SystemExit(f"{path}: unit table version {int(x[1])}, expected 3")
    units = []
    for u in range(n):
        r = hsize + u * stride
        units.append({"start": int(x[r]) * 65536 + int(x[r + 1]), "label": int(x[r + 4]),
                      "descriptors": x[r + 8:r + 8 + d]})
    y = int(x[19]) * 65536 + int(x[20])
    f = int(x[y + 2])
    listen = {"weight": x[y + f + 2 * d:y + f + 3 * d], "centroids": x[y + f + 3 * d:y + f + 3 * d + k * d],
              "hop": int(x[y + 5])}
    return {"num_descriptors": d, "units": units, "listen": listen}


def compare_ar(rows_path, ar_path, block, rate):
    """ConcatListen.ar (channels trig, label, loudness, centroid, age) against ConcatListen.kr's rows: the same
    reports in the same order, each ar trigger in the control period of its kr trigger (or the one before, when
    the kr report was held back a period by the one before it), the same start (trigger sample - age), label and
    descriptors."""
    rows, _, _, _ = read_wav(rows_path)
    a, _, _, _ = read_wav(ar_path)
    D = rows.shape[1] - 4
    k = np.nonzero(rows[:, 0] > 0.5)[0]
    t = np.nonzero(a[:, 0] > 0.5)[0]
    bad = int(np.sum(~np.isfinite(a)))
    n = min(len(k), len(t))
    # each ar trigger lies in the control period of its kr trigger, or in the period before it when the kr report
    # was held back one period because the period before that reported (trig_gap: a 0 between two kr reports)
    delta = k[:n] - t[:n] // block
    same_block = int(np.sum((delta == 0) | ((delta == 1) & np.isin(k[:n] - 2, k))))
    kstart = (k[:n] + 1) * block - np.round(rows[k[:n], 3 + D].astype(np.float64) * rate).astype(np.int64)
    astart = t[:n] - np.round(a[t[:n], 4].astype(np.float64) * rate).astype(np.int64)
    same_start = int(np.sum(np.abs(kstart - astart) <= 1))
    same = int(np.sum((a[t[:n], 1] == rows[k[:n], 1]) & (a[t[:n], 2] == rows[k[:n], 3]) & (a[t[:n], 3] == rows[k[:n], 6])))
    print(f"ar: {len(t)} triggers, kr: {len(k)}; in the kr trigger's block {same_block}, same start {same_start}, "
          f"same label and descriptors {same}, non-finite {bad}")
    # the score ends in the block of the rows' b_write: an ar trigger in that very block may have no row
    return 0 if abs(len(t) - len(k)) <= 1 and same_block == n and same_start == n and same == n and bad == 0 else 1


def main(argv):
    bundle = argv[1]
    man = json.load(open(os.path.join(bundle, "corpus.json")))
    rate = int(man["sample_rate"])
    if "--reset" in argv:
        out = argv[argv.index("--reset") + 1]
        n = int(man["frames"])
        r = np.zeros(n + rate, np.float32)
        for s in man["sources"][1:]:
            r[int(s["offset"])] = 1.0
        r[n] = 1.0
        write_wav(out, r, rate, 1)
        print(f"reset: {len(man['sources'])} sources, {n} frames")
        return 0
    rows_path, block, tol = argv[2], int(argv[3]), int(argv[4])
    if "--ar" in argv:
        return compare_ar(rows_path, argv[argv.index("--ar") + 1], block, rate)
    exact = "--exact" in argv
    min_agree = float(argv[argv.index("--min-agree") + 1]) if "--min-agree" in argv else 99.0
    t = parse_table(os.path.join(bundle, "units.wav"))
    rows, _, _, _ = read_wav(rows_path)
    D = t["num_descriptors"]
    if rows.shape[1] != 4 + D:
        print(f"{rows_path}: {rows.shape[1]} channels, expected {4 + D}")
        return 1
    bad = int(np.sum(~np.isfinite(rows)))
    k = np.nonzero(rows[:, 0] > 0.5)[0]
    starts = (k + 1) * block - np.round(rows[k, 3 + D].astype(np.float64) * rate).astype(np.int64)
    labels = rows[k, 1].astype(np.int64)
    X = rows[k, 3:3 + D].astype(np.float64)
    units = t["units"]
    matched = agree = desc_ok = 0
    worst = 0.0
    for u in units:
        if len(starts) == 0:
            break
        i = int(np.argmin(np.abs(starts - u["start"])))
        if abs(int(starts[i]) - u["start"]) > tol:
            continue
        matched += 1
        agree += int(labels[i] == u["label"])
        ref = np.asarray(u["descriptors"], np.float64)
        err = float(np.max(np.abs(X[i] - ref) / np.maximum(1.0, np.abs(ref))))
        worst = max(worst, err)
        desc_ok += int(err <= 1e-5)
    # the rule: every reported label is the nearest weighted centroid of the reported descriptors
    lst = t["listen"]
    w = np.asarray(lst["weight"], np.float64)
    C = np.asarray(lst["centroids"], np.float64).reshape(-1, D)
    use = w > 0
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2 * w[None, None, :])[:, :, use].sum(axis=2) if len(X) else np.zeros((0, 1))
    rule = int(np.sum(np.argmin(d2, axis=1) == labels)) if len(X) else 0
    N = len(units)
    pct_match, pct_agree = 100.0 * matched / N, 100.0 * agree / N
    print(f"{N} units, {len(k)} reported, matched {matched} ({pct_match:.2f} %), labels agree {agree} "
          f"({pct_agree:.2f} %), descriptors within 1e-5 {desc_ok} of {matched} (worst {worst:.3g}), "
          f"rule {rule} of {len(k)}, non-finite {bad}")
    ok = pct_match >= min_agree and pct_agree >= min_agree and bad == 0 and rule >= len(k) - max(1, len(k) // 1000)
    if exact:
        ok = ok and desc_ok == matched
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
