#!/usr/bin/env bash
# tests/scripts/check_bundle.py reads index version 5 (BUNDLE.md, "Index"): analyze's bundle passes, and a planted
# fault in node field 3 (a leaf with a split dimension, an internal node without one, a dimension that is not its
# box's widest) or an older index version in the header fails it with the property's message.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$A" -o "$W/b" --clusters 3 --unit-ms 50 --hop-ms 25 --quiet
check "analyze's bundle passes" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/b" --labels 3

# plant FAULT into a copy of the bundle at $W/f-FAULT; prints nothing, exits non-zero when no node fits
plant() {
    rm -rf "$W/f-$1" && cp -r "$W/b" "$W/f-$1"
    "$PY" - "$W/f-$1/units.wav" "$1" <<'PY'
import os
import sys
import numpy as np
sys.path.insert(0, os.environ["CS_SCRIPTS"])
from wavio import read_wav, write_wav
path, fault = sys.argv[1], sys.argv[2]
samples, rate = read_wav(path)[:2]
t = samples[:, 0].astype(np.float32)
S = 65536
x = int(t[17]) * S + int(t[18])
d, po, nodes, stride = int(t[3]), int(t[x + 7]) * S + int(t[x + 8]), int(t[x + 2]), int(t[x + 3])
nd = t[po:po + nodes * stride].reshape(nodes, stride)  # a view: writes go to t
if fault == "version":
    t[x + 1] = 4
else:
    leaf = nd[:, 2] == 1
    i = int(np.flatnonzero(leaf if fault == "leaf" else ~leaf)[0])
    if fault == "leaf":
        nd[i, 3] = 1
    elif fault == "none":
        nd[i, 3] = 0
    else:  # a dimension narrower than the widest
        w = nd[i, 4 + d:].astype(np.float64) - nd[i, 4:4 + d].astype(np.float64)
        nd[i, 3] = int(np.argmin(w)) + 1
        assert w.min() < w.max()
write_wav(path, t, rate)
PY
}
export CS_SCRIPTS="$SRC/tests/scripts"
for f in "leaf:has a split dimension" "none:is not 1 + its widest" "narrow:is not 1 + its widest" \
    "version:index magic/version"; do
    fault=${f%%:*} msg=${f#*:}
    if plant "$fault"; then
        out=$("$PY" "$SRC/tests/scripts/check_bundle.py" "$W/f-$fault" 2>&1)
        rc=$?
        check "$fault: check_bundle fails" [ $rc -ne 0 ]
        check "$fault: the message names the property ('$msg'): $out" grep -q -- "$msg" <<<"$out"
    else
        not_ok "$fault: could not plant the fault"
    fi
done
