#!/usr/bin/python3
"""Evaluate assertions on a WAV file's samples: seqpredict_wavcheck.py FILE 'EXPR' ['EXPR' ...]

Each EXPR is a Python expression over `x` (float64 numpy array, frames x channels), `np` and `rate`; it must be
true. Prints "ok EXPR" or "FAIL EXPR (value)" per expression; exit status 1 if any fails.
Example: seqpredict_wavcheck.py out.wav 'np.all(np.isfinite(x))' 'np.all(x[:, 0] == 0)'
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wavio  # noqa: E402

x, rate, _, _ = wavio.read_wav(sys.argv[1])
x = x.astype(np.float64)
fails = 0
for expr in sys.argv[2:]:
    with np.errstate(invalid="ignore"):
        v = eval(expr, {"np": np, "x": x, "rate": rate})
    good = bool(np.all(v))
    print(("ok   " if good else "FAIL ") + expr + ("" if good else f"  ({v})"))
    fails += 0 if good else 1
sys.exit(1 if fails else 0)
