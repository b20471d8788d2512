#!/bin/bash
# ConcatListen abused in a real scsynth (NRT): 200 instances (every mode, 1 .. 3 descriptors) listen to a11wlk01
# with stretches of NaN, inf, -inf and 1e30 samples while their unit table is swapped for another corpus, freed,
# replaced by a version 2 table (no listening section), by something that is not a unit table, and restored.
# No crash; every output finite; instance 0's label -1 exactly while no usable table is there and in range
# otherwise; ONE message per instance and failing state; the same score with too little real-time memory: one
# memory message per instance that got none, no crash. And checkInputs names the bad argument.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
check "analyze a11wlk01 (onsets, 5 labels)" "$CS" analyze "$SND" -o "$W/c1" --segment onset --clusters 5 --quiet
check "analyze a11wlk01 (grains, 9 labels)" "$CS" analyze "$SND" -o "$W/c2" --segment grain --clusters 9 --quiet
"$PY" - "$W" "$SRC" "$SND" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import read_wav, write_wav
w = sys.argv[1]
t, _, _, _ = read_wav(w + "/c1/units.wav")
t = t.reshape(-1).astype(np.float64)
n, d, s, h, k = int(t[2]), int(t[3]), int(t[4]), int(t[5]), int(t[10])
assert int(t[1]) == 3 and h == 24
# version 2 (BUNDLE.md): 20 header floats, rows, labels, members; no index, no listening section
L, M = 20 + n * s, 20 + n * s + 2 * k
rows = t[24:24 + n * s]
lo = int(t[13]) * 65536 + int(t[14])
labels, members = t[lo:lo + 2 * k], t[lo + 2 * k:lo + 2 * k + n]
hdr = t[:20].copy()
hdr[1], hdr[5] = 2, 20
hdr[13:20] = [L // 65536, L % 65536, M // 65536, M % 65536, 0, 0, 0]
write_wav(w + "/v2.wav", np.concatenate([hdr, rows, labels, members]), 48000, 1)
write_wav(w + "/junk.wav", np.linspace(-1, 1, 5000), 48000, 1)
x, _, _, _ = read_wav(sys.argv[3])
x = x[:, 0].astype(np.float64) if x.ndim > 1 else x.astype(np.float64)
x = np.concatenate([x, x])[:8 * 48000]
r = 48000
x[int(1.0 * r):int(1.25 * r)] = np.nan
x[int(1.25 * r):int(1.5 * r)] = np.inf
x[int(1.5 * r):int(1.75 * r)] = -np.inf
x[int(1.75 * r):int(2.0 * r)] = 1e30
x[int(2.0 * r):int(2.1 * r):2] = -1e30
write_wav(w + "/input.wav", x, 48000, 1)
PY
CS_WORK=$W run_sclang 90 "$SRC/tests/sc/concatlisten_abuse.scd" || { not_ok "sclang score"; exit 1; }
LOG=$W/concatlisten_abuse.scd.log
for what in IN MODE DESCRIPTORS CORPUS; do
    check "checkInputs names $what" grep -q "CHECK_${what}_OK" "$LOG"
done
check "no checkInputs case failed" test "$(grep -c 'CHECK_.* FAILED' "$LOG")" = 0

check "NRT render, 200 instances" run_nrt "$W/abuse.osc" "$W/abuse.wav" 3 -m 524288
M=$W/abuse.wav.log
expect_count() { # expect_count N PATTERN
    local got; got=$(grep -c -- "$2" "$M")
    if [ "$got" -eq "$1" ]; then ok; else not_ok "expected $1 message(s) '$2', got $got"; fi
}
expect_count 200 "ConcatListen: no unit table in buffer 1"
expect_count 200 "ConcatListen: the unit table in buffer 1 has no listening section"
expect_count 200 "ConcatListen: buffer 1: "
check "no other ConcatListen message" test "$(grep -c 'ConcatListen:' "$M")" = 600
check "no server failure" test "$(grep -cE 'FAILURE|exception|Segmentation' "$M")" = 0
"$PY" - "$W/abuse.wav" "$SRC" <<'PY' > "$W/abuse.check" 2>&1
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import read_wav
x, rate, _, _ = read_wav(sys.argv[1])
ok = True
def expect(cond, msg):
    global ok
    print(("ok   " if cond else "FAIL ") + msg)
    ok = ok and bool(cond)
expect(np.all(np.isfinite(x)), f"every output finite ({int(np.sum(~np.isfinite(x)))} not)")
lab, trig = x[:, 1], x[:, 2]
t = np.arange(len(x)) / rate
off = (t > 4.05) & (t < 6.95)
expect(np.all(lab[off] == -1), "label -1 while the table is freed, version 2 or junk")
expect(np.all((lab >= -1) & (lab < 9)), "labels in -1 .. 8 (K2A ramps between control periods)")
expect(np.all(lab[(t > 0.2) & (t < 2.9)] < 5), "labels of c1 (5) before the swap")
expect(np.sum(trig[t < 1.0] > 0) > 10 and np.sum(trig[t > 7.3] > 0) > 10, "units reported before and after")
expect(np.sum(trig[(t > 2.6) & (t < 2.95)] > 0) > 3, "units reported again after the garbage input")
sys.exit(0 if ok else 1)
PY
rc=$?
check "abuse: outputs ($(grep -c '^ok' "$W/abuse.check") checks)" test $rc -eq 0
grep FAIL "$W/abuse.check" | sed 's/^/  /'

# too little real-time memory: some instances get none; one message each, no crash
check "NRT render, 200 instances, 8 MB of real-time memory" run_nrt "$W/abuse.osc" "$W/small.wav" 3 -m 8192
nmem=$(grep -c "ConcatListen: not enough real-time memory" "$W/small.wav.log")
check "small memory: $nmem memory messages, at most one per instance and table" test "$nmem" -ge 1 -a "$nmem" -le 600
check "small memory: no server failure" test "$(grep -cE 'FAILURE|exception|Segmentation' "$W/small.wav.log")" = 0
check "small memory: finite" "$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import numpy as np, wavio
x = wavio.read_wav('$W/small.wav')[0]; sys.exit(0 if np.all(np.isfinite(x)) else 1)"
