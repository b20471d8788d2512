#!/bin/bash
# ConcatCorpus:follow and :answer (sc-classes/ConcatSeqFollow.sc) in a real scsynth (NRT):
#  - follow's synth, built by ConcatSeqFollow.followFunc with a Buffer standing in for the performer, is the synth
#    `concatseq mosaic` emulates: same samples as the command over the whole target (onsets and frames);
#  - ConcatCorpus:mosaic (sclang running the program) writes the command's bytes;
#  - answer (call and response): a target of speech, 2 s of silence, speech, 2 s of silence: silent while the
#    performer speaks (the model is only primed), the model's answer in each pause after `wait` (0.5 s).
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
check "analyze the corpus" "$CS" analyze "$SND" -o "$W/corpus" --quiet
check "train a model" "$CS" train "$W/corpus" --epochs 5 --hidden 16 --layers 1 --quiet
T=$W/corpus/audio.wav   # the corpus's own audio at 48 kHz mono: a target PlayBuf plays at rate 1
N=$("$PY" -c "import sys; sys.path.insert(0,'$SRC/tests/scripts'); from wavio import read_wav; print(read_wav('$T')[0].shape[0])")
dur=$("$PY" -c "print(($N + 48000) / 48000)")

for mode in onsets frames; do
    check "follow $mode: concatseq mosaic" "$CS" mosaic "$W/corpus" "$T" -o "$W/cli_$mode.wav" --mode $mode --seed 5 --quiet
    CS_KIND=follow CS_BUNDLE=$W/corpus CS_TARGET=$T CS_FRAMES=$N CS_OSC=$W/f_$mode.osc CS_DUR=$dur CS_MODE=$mode \
        CS_SEED=5 run_sclang 90 "$SRC/tests/sc/follow_nrt.scd" || { not_ok "follow $mode: sclang score"; continue; }
    check "follow $mode: NRT render" run_nrt "$W/f_$mode.osc" "$W/nrt_$mode.wav" 1
    check "follow $mode: ConcatCorpus:follow's synth gives the command's samples" "$PY" - "$W/cli_$mode.wav" \
        "$W/nrt_$mode.wav" "$N" "$SRC/tests/scripts" <<'PY'
import sys
sys.path.insert(0, sys.argv[4])
import numpy as np
from wavio import read_wav
a, b, n = read_wav(sys.argv[1])[0][: int(sys.argv[3])], read_wav(sys.argv[2])[0][: int(sys.argv[3])], int(sys.argv[3])
d = np.abs(a.astype(np.float64) - b.astype(np.float64))
print(f"follow: {n} samples, max |difference| {d.max():.3g}, rms {np.sqrt((b.astype(np.float64) ** 2).mean()):.4f}")
sys.exit(0 if len(a) == n and len(b) == n and d.max() == 0 and np.abs(b).max() > 0.01 else 1)
PY
done

# ConcatCorpus:mosaic runs `concatseq mosaic` from sclang: the same file
CS_KIND=mosaic CS_BUNDLE=$W/corpus CS_TARGET=$T CS_OSC=$W/sc_mosaic.wav run_sclang 90 "$SRC/tests/sc/follow_nrt.scd" ||
    not_ok "ConcatCorpus:mosaic: sclang"
check "ConcatCorpus:mosaic wrote its file" grep -q "^MOSAIC $W/sc_mosaic.wav" "$W/sclang.log"
check "ConcatCorpus:mosaic = concatseq mosaic, byte for byte" cmp -s "$W/sc_mosaic.wav" "$W/cli_frames.wav"

# call and response: speech 0..2 s, silence 2..4 s, speech 4..5 s, silence 5..7 s
"$PY" - "$T" "$W/callresp.wav" "$SRC/tests/scripts" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import numpy as np
from wavio import read_wav, write_wav
x = read_wav(sys.argv[1])[0][:, 0]
r = 48000
y = np.concatenate([x[:2 * r], np.zeros(2 * r), x[2 * r:3 * r], np.zeros(2 * r)]).astype(np.float32)
write_wav(sys.argv[2], y, r, 1)
PY
CS_KIND=answer CS_BUNDLE=$W/corpus CS_TARGET=$W/callresp.wav CS_FRAMES=$((7 * 48000)) CS_MODEL=$W/corpus/model.wav \
    CS_OSC=$W/answer.osc CS_DUR=7 CS_SEED=3 run_sclang 90 "$SRC/tests/sc/follow_nrt.scd" || not_ok "answer: sclang score"
check "answer: NRT render" run_nrt "$W/answer.osc" "$W/answer.wav" 1
if grep -qE "SeqPredict:|ConcatPlay:|ConcatListen:" "$W/answer.wav.log"; then not_ok "answer: server message: $(grep -E 'SeqPredict:|ConcatPlay:|ConcatListen:' "$W/answer.wav.log")"; fi
check "answer: silent while the performer plays, the model's answer in each pause" "$PY" - "$W/answer.wav" \
    "$SRC/tests/scripts" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import numpy as np
from wavio import read_wav
y = read_wav(sys.argv[1])[0][:, 0].astype(np.float64)
r = 48000
rms = lambda a, b: float(np.sqrt((y[int(a * r):int(b * r)] ** 2).mean()))
parts = {"speech 1": rms(0, 2), "pause 1": rms(2.7, 4), "speech 2": rms(4.3, 5), "pause 2": rms(5.7, 7)}
print("answer rms:", {k: round(v, 4) for k, v in parts.items()})
assert np.all(np.isfinite(y))
sys.exit(0 if parts["speech 1"] == 0 and parts["speech 2"] < 1e-3 and parts["pause 1"] > 0.01 and parts["pause 2"] > 0.01 else 1)
PY
