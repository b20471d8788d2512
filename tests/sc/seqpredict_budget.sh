#!/bin/bash
# SeqPredict's per-block work budget in a real scsynth NRT render: a transformer of width 128, 4 layers, context
# 128 (~0.9 M multiply-adds a step: 2 steps within the 2 M budget of a 64-sample block) gets a burst of 40
# triggers, 32 a block, each priming the next label (k mod V). Checks: at audio rate and at control rate (with
# the audio-rate trigger), the 40 steps all happen, in order (the labels run 0, 1, 2, ... mod V), spread over
# the following blocks (the last one at least 15 blocks after the burst), one "deferred" message per instance,
# nothing dropped.
source "$(dirname "$0")/seqpredict_env.bash"

make_bundle "$W/a.corpus" 8 || exit 1
"$CS" train "$W/a.corpus" -o "$W/big.wav" --arch transformer --hidden 128 --layers 4 --heads 8 --context 128 \
    --epochs 1 --progress none --quiet > "$W/big.log" 2>&1 || { cat "$W/big.log" >&2; not_ok "big model"; exit 1; }
START=24000 # 0.5 s: the ~0.9 M weights are verified 8192 a block, ~110 blocks
if run_sclang 90 "$SRC/tests/sc/seqpredict_budget.scd" "$W/budget.osc" "$W/big.wav" $START \
    && grep -q "SCORE WRITTEN" "$W/sclang.log"; then ok; else cat "$W/sclang.log" >&2; not_ok "score"; exit 1; fi
timeout 120 scsynth -N "$W/budget.osc" _ "$W/budget.wav" 48000 WAV float -o 2 -i 0 -U "$PLUGINS" \
    > "$W/budget.log" 2>&1
rc=$?
check "scsynth exits normally (status $rc)" test $rc -eq 0
check "one 'deferred' message per instance ($(grep -c 'stepped in the next blocks' "$W/budget.log"))" \
    test "$(grep -c 'SeqPredict: triggers come faster' "$W/budget.log")" = 2
check "no trigger dropped, no other message" test "$(grep -c 'SeqPredict:' "$W/budget.log")" = 2
V=$("$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import wavio
h, _, _, _ = wavio.read_wav('$W/big.wav'); print(int(h[4, 0]))")
for ch in 0 1; do
    if "$PY" - "$W/budget.wav" $ch $START "$V" > "$W/budget.$ch.check" 2>&1 <<'PYEOF'; then ok; else cat "$W/budget.$ch.check" >&2; not_ok "channel $ch: 40 steps in order"; fi
import sys
sys.path.insert(0, __import__("os").environ["CS_SOURCE_DIR"] + "/tests/scripts")
import numpy as np, wavio
x, _, _, _ = wavio.read_wav(sys.argv[1])
ch, start, V = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
l = x[:, ch]
step = 1
if ch == 1:  # K2A ramps over the next block from a control value: its first sample is the value of block b - 1
    l, start, step = l[64::64], start // 64, 64
before = l[start - 1]
changes = [i + 1 for i in range(start - 1, len(l) - 1) if l[i + 1] != l[i]]
seq = [int(l[i]) for i in changes]
changes = [(i - start) * step for i in changes]  # samples after the burst's start
want = [k % V for k in range(40)]
print("label before the burst", before, "changes", len(seq), "first", changes[:1], "last", changes[-1:],
      "samples after its start")
print("labels", seq)
# audio rate: every step shows for at least one sample; control rate: the state after each block (2 steps a block)
ok = before == -2 and np.all(np.isfinite(l))
if ch == 0:
    ok = ok and seq == want and changes[-1] >= 15 * 64
else:
    ok = ok and seq == [want[k] for k in range(1, 40, 2)] and changes[-1] >= 15 * 64
sys.exit(0 if ok else 1)
PYEOF
    sed "s/^/  channel $ch: /" "$W/budget.$ch.check"
done
