#!/bin/bash
# `concatseq mosaic` is the server's code: the synth it emulates block by block (PlayBuf of the target ->
# ConcatListen.kr -> [SeqPredict.kr] -> ConcatPlay.ar, tests/sc/mosaic_nrt.scd) rendered by a real scsynth in NRT
# gives the same samples as the command, bit for bit, over the whole target (after it the NRT synth goes on
# listening to silence, which the command does not play). Corpus: a11wlk01 as grains; target: a hydrogen drum
# kit's samples packed at 48 kHz mono (the bundle audio.wav of a second corpus); modes frames, onsets, grains.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
KIT=/usr/share/hydrogen/data/drumkits/VariBreaks
[ -d "$KIT" ] || skip "hydrogen-drumkits (VariBreaks) not installed"
check "analyze the corpus" "$CS" analyze "$SND" -o "$W/corpus" --quiet
check "analyze the kit (its audio.wav is the target)" "$CS" analyze "$KIT" -o "$W/kit" --segment onset --quiet
T=$W/kit/audio.wav
N=$("$PY" -c "import sys; sys.path.insert(0,'$SRC/tests/scripts'); from wavio import read_wav; print(read_wav('$T')[0].shape[0])")

# same samples over the first N (the target's length); both finite, not silent
same_over_target() { # same_over_target A.wav B.wav
    "$PY" - "$1" "$2" "$N" "$SRC/tests/scripts" <<'PY'
import sys
sys.path.insert(0, sys.argv[4])
import numpy as np
from wavio import read_wav
a, b, n = read_wav(sys.argv[1])[0], read_wav(sys.argv[2])[0], int(sys.argv[3])
assert a.shape[0] >= n and b.shape[0] >= n, (a.shape, b.shape, n)
a, b = a[:n], b[:n]
d = np.abs(a.astype(np.float64) - b.astype(np.float64))
print(f"over {n} samples: max |difference| {d.max():.3g}, samples that differ {int((d > 0).sum())}, rms {np.sqrt((a.astype(np.float64)**2).mean()):.4f}")
assert np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.abs(a).max() > 0.01
sys.exit(0 if d.max() == 0 else 1)
PY
}

for mode in frames onsets grains; do
    check "$mode: concatseq mosaic" "$CS" mosaic "$W/corpus" "$T" -o "$W/cli_$mode.wav" --mode $mode --seed 7 --quiet
    dur=$("$PY" -c "print(($N + 48000) / 48000)")
    CS_BUNDLE=$W/corpus CS_TARGET=$T CS_OSC=$W/$mode.osc CS_DUR=$dur CS_MODE=$mode CS_SEED=7 \
        run_sclang 90 "$SRC/tests/sc/mosaic_nrt.scd" || { not_ok "$mode: sclang score"; continue; }
    check "$mode: NRT render" run_nrt "$W/$mode.osc" "$W/nrt_$mode.wav" 1
    if grep -qE "ConcatPlay:|ConcatListen:" "$W/nrt_$mode.wav.log"; then not_ok "$mode: server message: $(grep -E 'ConcatPlay:|ConcatListen:' "$W/nrt_$mode.wav.log")"; fi
    check "$mode: the command's samples are scsynth's, bit for bit" same_over_target "$W/cli_$mode.wav" "$W/nrt_$mode.wav"
done

# with a model: SeqPredict.kr chooses the label, guided by what ConcatListen hears (guidance 0 = the model alone,
# 1, 4), and ConcatPlay the nearest unit of it: the command's samples again
check "train a model" "$CS" train "$W/corpus" --epochs 5 --hidden 16 --layers 1 --quiet
for g in 0 1 4; do
    check "model, guidance $g: concatseq mosaic" "$CS" mosaic "$W/corpus" "$T" -o "$W/cli_g$g.wav" --mode onsets \
        --seed 7 --model "$W/corpus/model.wav" --guidance $g --quiet
    CS_BUNDLE=$W/corpus CS_TARGET=$T CS_OSC=$W/g$g.osc CS_DUR=$dur CS_MODE=onsets CS_SEED=7 \
        CS_MODEL=$W/corpus/model.wav CS_GUIDANCE=$g run_sclang 90 "$SRC/tests/sc/mosaic_nrt.scd" ||
        { not_ok "guidance $g: sclang score"; continue; }
    check "guidance $g: NRT render" run_nrt "$W/g$g.osc" "$W/nrt_g$g.wav" 1
    if grep -qE "SeqPredict:|ConcatPlay:|ConcatListen:" "$W/nrt_g$g.wav.log"; then
        not_ok "guidance $g: server message: $(grep -E 'SeqPredict:|ConcatPlay:|ConcatListen:' "$W/nrt_g$g.wav.log")"
    fi
    check "guidance $g: the command's samples are scsynth's, bit for bit" same_over_target "$W/cli_g$g.wav" "$W/nrt_g$g.wav"
done
check "guidance changes the render" bash -c "! cmp -s '$W/cli_g0.wav' '$W/cli_g4.wav'"
