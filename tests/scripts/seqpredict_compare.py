#!/usr/bin/python3
"""Compare an NRT render of SeqPredict driving ConcatPlay with the C harness's computation of the same thing.

usage: seqpredict_compare.py RENDER.wav EXPECTED.wav NUM_LABELS
RENDER: channels trig, prime, reset, label, probability, entropy, audio (what scsynth wrote).
EXPECTED: channels label, probability, entropy, audio (test_seqpredict_logic --render on RENDER's controls).
Checks (one line each, "ok ..." or "FAIL ..."): finite, labels in -2..V-1, label sequences identical,
probability/entropy within 2e-5, audio non-silent, audio difference <= -90 dB relative to the render's RMS,
several distinct labels and steps. Exit status 1 on any failure.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wavio  # noqa: E402


def main():
    render, _, _, _ = wavio.read_wav(sys.argv[1])
    expected, _, _, _ = wavio.read_wav(sys.argv[2])
    vocab = int(sys.argv[3])
    fails = 0

    def check(cond, what):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            fails += 1

    render = render.astype(np.float64)
    expected = expected.astype(np.float64)
    n = min(len(render), len(expected))
    check(len(render) == len(expected), f"same length ({len(render)} vs {len(expected)} frames)")
    r, e = render[:n], expected[:n]
    check(bool(np.all(np.isfinite(r))), "render is finite")
    lab = r[:, 3]
    # -1: no usable model (label "none"), -2: ready, before the first step (label "any"); see cs_label.h
    check(bool(np.all((lab == np.floor(lab)) & (lab >= -2) & (lab < vocab))), "labels are integers in -2..V-1")
    diff = np.nonzero(lab != e[:, 0])[0]
    check(len(diff) == 0, f"label sequence equals the C core's ({len(diff)} samples differ"
          + (f", first at {diff[0]}: {lab[diff[0]]} vs {e[diff[0], 0]})" if len(diff) else ")"))
    trig = r[:, 0]
    edges = np.nonzero((trig > 0) & (np.concatenate(([0.0], trig[:-1])) <= 0))[0]
    steps = lab[edges]
    check(len(edges) > 20 and len(set(steps.tolist())) >= 3,
          f"{len(edges)} steps, {len(set(steps.tolist()))} distinct labels")
    dp = np.max(np.abs(r[:, 4] - e[:, 1]))
    de = np.max(np.abs(r[:, 5] - e[:, 2]))
    check(dp <= 2e-5 and de <= 2e-5, f"probability and entropy within 2e-5 (max diff {dp:.3g}, {de:.3g})")
    a, b = r[:, 6], e[:, 3]
    rms = np.sqrt(np.mean(a * a))
    err = np.sqrt(np.mean((a - b) ** 2))
    db = 20 * np.log10(err / rms) if err > 0 else -np.inf
    check(rms > 1e-3, f"audio is not silent (RMS {rms:.4g})")
    check(db <= -90, f"audio equals the C core's within -90 dB ({db:.1f} dB)")
    print(f"{fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
