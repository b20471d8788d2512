"""Compare two float WAV renders (e.g. scsynth NRT vs the C core harness).

usage: /usr/bin/python3 compare_wav.py A.wav B.wav [--db -90] [--min-rms R] [--audio-channels N]
                                       [--exact-channels i,j] [--identical]
Checks: same shape, every sample finite in both; on the first N (audio) channels the largest difference is
below --db relative to A's peak (-inf dB when identical) and A's RMS is at least --min-rms (not silent); the
--exact-channels must be equal sample for sample. --identical: every sample of every channel equal and the
same length (the sample data; headers may differ, e.g. libsndfile's PEAK chunk carries a timestamp). Prints one line of figures; exits 1 on any failure.
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wavio import read_wav  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--db", type=float, default=-90.0)
    ap.add_argument("--min-rms", type=float, default=0.0)
    ap.add_argument("--audio-channels", type=int)
    ap.add_argument("--exact-channels", default="")
    ap.add_argument("--identical", action="store_true")
    o = ap.parse_args()
    a = read_wav(o.a)[0].astype(np.float64)
    b = read_wav(o.b)[0].astype(np.float64)
    fails = []
    if o.identical:
        same = a.shape == b.shape and np.array_equal(a, b)
        print(f"compare_wav: {a.shape} vs {b.shape}: {'identical' if same else 'DIFFERENT'} sample data")
        return 0 if same else 1
    if a.shape != b.shape:
        # scsynth NRT may write up to one block more than asked: compare the common frames
        if a.shape[1] != b.shape[1]:
            print(f"compare_wav: FAILED: channels {a.shape[1]} vs {b.shape[1]}")
            return 1
        n = min(a.shape[0], b.shape[0])
        if abs(a.shape[0] - b.shape[0]) > 1024:
            fails.append(f"frames {a.shape[0]} vs {b.shape[0]}")
        a, b = a[:n], b[:n]
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        fails.append("non-finite samples")
    na = o.audio_channels or a.shape[1]
    peak = float(np.max(np.abs(a[:, :na])))
    rms = float(np.sqrt(np.mean(a[:, :na] ** 2)))
    diff = float(np.max(np.abs(a[:, :na] - b[:, :na])))
    db = 20 * math.log10(diff / peak) if diff > 0 and peak > 0 else -math.inf
    if rms < o.min_rms:
        fails.append(f"silent: rms {rms:.3g} < {o.min_rms}")
    if db > o.db:
        fails.append(f"difference {db:.1f} dB > {o.db} dB (first at frame {int(np.argmax(np.any(np.abs(a[:, :na] - b[:, :na]) == diff, axis=1)))})")
    for c in [int(x) for x in o.exact_channels.split(",") if x]:
        if not np.array_equal(a[:, c], b[:, c]):
            k = int(np.argmax(a[:, c] != b[:, c]))
            fails.append(f"channel {c} differs from frame {k}: {a[k, c]} vs {b[k, c]}")
    print(f"compare_wav: frames {a.shape[0]}, peak {peak:.4g}, rms {rms:.4g}, max difference {db:.1f} dB re peak")
    for f in fails:
        print(f"compare_wav: FAILED: {f}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
