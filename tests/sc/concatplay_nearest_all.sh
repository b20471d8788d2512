#!/bin/bash
# ConcatPlay's nearest selection without a label (label \any: the nearest unit of the whole corpus, issue 12 item 2)
# in a real scsynth (NRT) on a real bundle with its k-d tree index (a11wlk01.wav, 100 ms grains at a 10 ms hop,
# 24 labels): for 12 targets on three descriptors (6 exactly a unit's values, 6 random), the unit ConcatPlay plays
# is, at every trigger, the nearest unit over all labels by an independent double-precision reference
# (tests/scripts/check_bundle.py's reading of units.wav), up to float near-ties.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
B=$W/a11.corpus
check "analyze a11wlk01" "$CS" analyze "$SND" -o "$B" --segment grain --unit-ms 100 --hop-ms 10 --clusters 24 --quiet
[ -d "$B" ] || exit 1
TARGETS=$("$PY" - "$B" "$SRC" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from check_bundle import HEADER, FIXED
from wavio import read_wav
t = read_wav(sys.argv[1] + "/units.wav")[0][:, 0]
n, d, stride = int(t[2]), int(t[3]), int(t[4])
assert int(t[17]) or int(t[18]), "the bundle has no index"
X = t[HEADER:HEADER + n * stride].reshape(n, stride)[:, FIXED:]
rng = np.random.default_rng(11)
rows = [X[u, [0, 3, 6]] for u in rng.choice(n, 6, replace=False)] + list(rng.normal(0, 1.2, (6, 3)))
print(";".join(",".join("%.6f" % v for v in r) for r in rows))
PY
) || { not_ok "targets"; exit 1; }
CS_BUNDLE=$B CS_OSC=$W/all.osc CS_DUR=2.0 CS_TARGETS=$TARGETS \
    run_sclang 90 "$SRC/tests/sc/concatplay_nearest_all.scd" || not_ok "sclang score"
check "NRT render" run_nrt "$W/all.osc" "$W/all.wav" 12
if grep -q "ConcatPlay:" "$W/all.wav.log"; then not_ok "unexpected message: $(grep ConcatPlay: "$W/all.wav.log")"; fi
check "label \\any: every trigger plays the nearest unit of the whole corpus" "$PY" - "$B" "$SRC" "$W/all.wav" \
    "$TARGETS" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from check_bundle import HEADER, FIXED
from wavio import read_wav
t = read_wav(sys.argv[1] + "/units.wav")[0][:, 0].astype(np.float64)
n, stride = int(t[2]), int(t[4])
X = t[HEADER:HEADER + n * stride].reshape(n, stride)[:, FIXED:][:, [0, 3, 6]]
y = read_wav(sys.argv[3])[0]
targets = [[float(v) for v in r.split(",")] for r in sys.argv[4].split(";")]
bad = 0
for i, tg in enumerate(targets):
    dist = ((X - np.array(tg, np.float32).astype(np.float64)) ** 2).sum(axis=1)
    best = dist.min()
    played = np.unique(y[4800:, i])  # after the first trigger has started its unit
    ok = len(played) == 1 and played[0] == int(played[0]) and 0 <= played[0] < n
    u = int(played[0]) if ok else -1
    ok = ok and dist[u] <= best + 1e-5 * (1 + best)
    print(f"target {i} {tg}: played {played[:4]}, nearest {int(dist.argmin())} (d {best:.6g}, played d "
          f"{dist[u] if u >= 0 else float('nan'):.6g}) {'ok' if ok else 'WRONG'}")
    bad += not ok
sys.exit(1 if bad else 0)
PY
sc_exit
