#!/bin/bash
# Abuse of SeqPredict in real scsynth NRT renders: Buffers of the wrong kind as model (corpus audio, unit table,
# stereo, zeros, truncated, corrupt checksum, NaN weight, unallocated, bad numbers), NaN / inf / -inf / huge /
# negative values on every input at control and audio rate, out-of-range primes, a mask allowing nothing,
# 200 instances at once, and too little real-time memory (scsynth -m) for a big transformer's state or for a
# half GRU's full state (its small state fits).
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

# ---- a 256 KB real-time pool (scsynth -m 256) against a model's state
# memory_case TAG MESSAGE LABEL_CHECK TRAIN_OPTION...: train a model of a.corpus with the options, render the
# "memory" score (three instances of it) in the small pool; then scsynth exits normally, each instance posts
# MESSAGE (a fixed string) once and SeqPredict nothing else, every output is finite, the label output passes
# LABEL_CHECK (a seqpredict_wavcheck.py expression) and the instance count reads 1 at the end.
memory_case() {
    local tag=$1 msg=$2 labels=$3 f="$W/${1// /_}" rc n
    shift 3
    "$CS" train "$W/a.corpus" -o "$f.model.wav" "$@" --epochs 1 --progress none --quiet > "$f.train.log" 2>&1 \
        || { cat "$f.train.log" >&2; not_ok "$tag: train"; }
    if run_sclang 90 "$scd" memory "$f.osc" "$W/a.corpus/model.wav" "$W/a.corpus" "$W/bad" "$f.model.wav" \
        && grep -q "SCORE WRITTEN" "$W/sclang.log"; then ok; else cat "$W/sclang.log" >&2; not_ok "$tag: score"; fi
    timeout 120 scsynth -N "$f.osc" _ "$f.wav" 48000 WAV float -o 5 -i 0 -m 256 -U "$PLUGINS" > "$f.log" 2>&1
    rc=$?
    check "$tag: scsynth exits normally (status $rc)" test $rc -eq 0
    n=$(grep -cF -- "$msg" "$f.log")
    check "$tag: one message per instance ($n)" test "$n" = 3
    check "$tag: no other message" test "$(grep -c 'SeqPredict:' "$f.log")" = 3
    if "$PY" "$SRC/tests/scripts/seqpredict_wavcheck.py" "$f.wav" \
        'np.all(np.isfinite(x))' "$labels" 'x[-1, 4] == 1' > "$f.check" 2>&1; then ok
    else cat "$f.check" >&2; not_ok "$tag: outputs"; fi
    sed "s/^/  $tag: /" "$f.check"
}

# too little memory: a transformer whose state (~0.6 MB) does not fit: label -1 (output 0) throughout
memory_case "memory" "SeqPredict: not enough real-time memory" 'np.all(x[:, 0] == 0)' \
    --arch transformer --hidden 128 --layers 4 --heads 8 --context 128
# memory for the small state only: a half GRU (H 192, 1 layer) whose full state (folded table + half copy,
# ~270 KB) does not fit but whose small state does: the same three instances step
memory_case "small state" "SeqPredict: buffer 9: real-time memory held only the model's small state" \
    'np.sum(np.diff(x[:, 0]) != 0) > 100' --arch gru --hidden 192 --layers 1 --weights half
