#!/bin/bash
# Abuse of SeqPredict in real scsynth NRT renders: Buffers of the wrong kind as model (corpus audio, unit table,
# stereo, zeros, truncated, corrupt checksum, NaN weight, unallocated, bad numbers), NaN / inf / -inf / huge /
# negative values on every input at control and audio rate, out-of-range primes, a mask allowing nothing,
# 200 instances at once, and too little real-time memory (scsynth -m) for a big transformer's state.
# Checks: scsynth exits normally, every output is finite, bad models give label -1 (probability and entropy 0)
# throughout, outputs stay in range, every instance posts exactly one message per failing state.
source "$(dirname "$0")/seqpredict_env.bash"

make_bundle "$W/a.corpus" 8 || exit 1
mkdir -p "$W/bad"
# corrupt copies of the model, written by an independent script (not our writer)
"$PY" - "$W/a.corpus/model.wav" "$W/bad" <<'PYEOF' || not_ok "bad model files"
import sys
sys.path.insert(0, "SRC/tests/scripts".replace("SRC", __import__("os").environ["CS_SOURCE_DIR"]))
import numpy as np, wavio
x, rate, _, _ = wavio.read_wav(sys.argv[1])
w = x[:, 0].astype(np.float32).copy()
c = w.copy(); c[64 + 5] += 0.25           # weights no longer match the stored checksum
wavio.write_wav(sys.argv[2] + "/corrupt.wav", c, rate)
n = w.copy(); n[len(n) - 3] = np.nan       # a NaN weight
wavio.write_wav(sys.argv[2] + "/nanweight.wav", n, rate)
PYEOF

scd="$SRC/tests/sc/seqpredict_abuse.scd"
# ---- abuse render
if run_sclang 90 "$scd" abuse "$W/abuse.osc" "$W/a.corpus/model.wav" "$W/a.corpus" "$W/bad" \
    && grep -q "SCORE WRITTEN" "$W/sclang.log"; then ok; else cat "$W/sclang.log" >&2; not_ok "abuse score"; fi
timeout 300 scsynth -N "$W/abuse.osc" _ "$W/abuse.wav" 48000 WAV float -o 5 -i 0 -U "$PLUGINS" \
    > "$W/abuse.log" 2>&1
rc=$?
check "abuse: scsynth exits normally (status $rc)" test $rc -eq 0
count() { grep -c -- "$1" "$W/abuse.log"; }
check "abuse: no server failure" test "$(grep -cE 'FAILURE|exception|Segmentation|alloc failed' "$W/abuse.log")" = 0
# one message per bad model instance: 7 missing buffers, 1 stereo, 6 not-a-model
check "abuse: 7 'no model' messages ($(count 'SeqPredict: no model in buffer'))" test "$(count 'SeqPredict: no model in buffer')" = 7
check "abuse: 1 'channels' message" test "$(count 'SeqPredict: buffer 3 has 2 channels')" = 1
for b in 1 2 4 5 6 7; do
    check "abuse: one message for model buffer $b" test "$(count "SeqPredict: buffer $b is not a usable model")" = 1
done
check "abuse: corrupt model found by checksum" grep -q "buffer 6 is not a usable model (.*checksum" "$W/abuse.log"
check "abuse: NaN weight found" grep -q "buffer 7 is not a usable model (.*\(finite\|NaN\)" "$W/abuse.log"
check "abuse: truncated model found" grep -q "buffer 5 is not a usable model (.*\(short\|trunc\)" "$W/abuse.log"
# out-of-range primes (inf, 1e30, 3e9) and missing masks (inf, 1e30, 3e9) at control and audio rate: one each
check "abuse: 6 out-of-range prime messages ($(count 'is out of range'))" test "$(count 'is out of range')" = 6
check "abuse: 6 missing-mask messages ($(count 'SeqPredict: no mask in buffer'))" test "$(count 'SeqPredict: no mask in buffer')" = 6
check "abuse: 1 empty-mask message" test "$(count 'allows no label')" = 1
check "abuse: 27 SeqPredict messages in all ($(count 'SeqPredict:'))" test "$(count 'SeqPredict:')" = 27
if "$PY" "$SRC/tests/scripts/seqpredict_wavcheck.py" "$W/abuse.wav" \
    'np.all(np.isfinite(x))' \
    'np.all(x[:, 0] == 0)' \
    'np.all(x[:, 2] == 0)' \
    'np.any(x[:, 1] != 0)' \
    'x[-1, 4] == 200' \
    'np.sum(np.diff(x[:, 3]) != 0) > 1000' > "$W/abuse.check" 2>&1; then ok; else cat "$W/abuse.check" >&2; not_ok "abuse: outputs"; fi
sed 's/^/  abuse: /' "$W/abuse.check"

# ---- too little real-time memory: a transformer whose state (~0.6 MB) does not fit in 256 KB
"$CS" train "$W/a.corpus" -o "$W/big.wav" --arch transformer --hidden 128 --layers 4 --heads 8 --context 128 \
    --epochs 1 --progress none --quiet > "$W/big.log" 2>&1 || { cat "$W/big.log" >&2; not_ok "big model"; }
if run_sclang 90 "$scd" memory "$W/memory.osc" "$W/a.corpus/model.wav" "$W/a.corpus" "$W/bad" "$W/big.wav" \
    && grep -q "SCORE WRITTEN" "$W/sclang.log"; then ok; else cat "$W/sclang.log" >&2; not_ok "memory score"; fi
timeout 120 scsynth -N "$W/memory.osc" _ "$W/memory.wav" 48000 WAV float -o 5 -i 0 -m 256 -U "$PLUGINS" \
    > "$W/memory.log" 2>&1
rc=$?
check "memory: scsynth exits normally (status $rc)" test $rc -eq 0
check "memory: one message per instance ($(grep -c 'not enough real-time memory' "$W/memory.log"))" \
    test "$(grep -c 'SeqPredict: not enough real-time memory' "$W/memory.log")" = 3
check "memory: no other message" test "$(grep -c 'SeqPredict:' "$W/memory.log")" = 3
if "$PY" "$SRC/tests/scripts/seqpredict_wavcheck.py" "$W/memory.wav" \
    'np.all(np.isfinite(x))' 'np.all(x[:, 0] == 0)' 'x[-1, 4] == 1' > "$W/memory.check" 2>&1; then ok
else cat "$W/memory.check" >&2; not_ok "memory: outputs"; fi
sed 's/^/  memory: /' "$W/memory.check"

# ---- memory for the small state only: a half GRU (H 192, 1 layer) whose full state (folded table + half copy,
# ~270 KB) does not fit in 256 KB but whose small state does: the same three instances step, one message each
"$CS" train "$W/a.corpus" -o "$W/mid.wav" --arch gru --hidden 192 --layers 1 --weights half --epochs 1 \
    --progress none --quiet > "$W/mid.log" 2>&1 || { cat "$W/mid.log" >&2; not_ok "half GRU 192"; }
if run_sclang 90 "$scd" memory "$W/small.osc" "$W/a.corpus/model.wav" "$W/a.corpus" "$W/bad" "$W/mid.wav" \
    && grep -q "SCORE WRITTEN" "$W/sclang.log"; then ok; else cat "$W/sclang.log" >&2; not_ok "small-state score"; fi
timeout 120 scsynth -N "$W/small.osc" _ "$W/small.wav" 48000 WAV float -o 5 -i 0 -m 256 -U "$PLUGINS" \
    > "$W/small.log" 2>&1
rc=$?
check "small state: scsynth exits normally (status $rc)" test $rc -eq 0
check "small state: one message per instance ($(grep -c "held only the model's small state" "$W/small.log"))" \
    test "$(grep -c "SeqPredict: buffer 9: real-time memory held only the model's small state" "$W/small.log")" = 3
check "small state: no other message" test "$(grep -c 'SeqPredict:' "$W/small.log")" = 3
if "$PY" "$SRC/tests/scripts/seqpredict_wavcheck.py" "$W/small.wav" \
    'np.all(np.isfinite(x))' 'np.sum(np.diff(x[:, 0]) != 0) > 100' 'x[-1, 4] == 1' > "$W/small.check" 2>&1; then ok
else cat "$W/small.check" >&2; not_ok "small state: outputs"; fi
sed 's/^/  small state: /' "$W/small.check"
