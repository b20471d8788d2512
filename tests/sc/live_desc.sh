#!/bin/bash
# live_desc.sh - corpus.play / ConcatSeqLive feed the unit played back to SeqPredict (issue 11's leftover): a GRU 32
# with descriptor inputs (`concatseq train --desc-inputs`) on a11wlk01 grains, played in a real scsynth NRT render
# by ConcatSeqLive.graph (the graph of ConcatSeqLive.func / corpus.play), free-running at 20 units/s and gapless,
# by ConcatSeqFollow.followGraph (corpus.follow with a model, hearing the corpus's own audio in onsets) and by
# ConcatSeqFollow.answerGraph (corpus.answer: the same audio 2 s on, 2 s off; heard labels prime, pauses answer).
# live_desc_check.scd reads the recorded steps: each step reads the unit ConcatPlay played for the label before
# (the one-block LocalIn delay never shows an older unit), and SeqModelLang fed those units draws the server's
# labels for the same seed (answer: primed with the heard labels, the centroid after each), while fed zero rows
# or the units one step late it does not. Then `concatseq mosaic --model` (follow's offline twin, which feeds the
# unit back the same way) gives followFunc's samples exactly.
source "$(dirname "$0")/patterns_env.bash"
pat_require "$CONCATSEQ" "concatseq program"
[ -f "$PLUGIN_DIR/SeqPredict.so" ] || { not_ok "no SeqPredict.so in $PLUGIN_DIR"; exit 1; }
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
B="$W/d.corpus"
SEED=5
"$CONCATSEQ" analyze "$SND" -o "$B" --segment grain --unit-ms 50 --hop-ms 50 --clusters 8 --quiet > /dev/null 2>&1 &&
    "$CONCATSEQ" train --arch gru --desc-inputs "$B" -o "$W/desc.wav" --hidden 32 --layers 1 --epochs 8 --quiet \
        > /dev/null 2>&1 || { not_ok "concatseq analyze / train --desc-inputs"; exit 1; }
if ! run_sclang 90 "$SRC/tests/sc/live_desc_score.scd" "$W/live.osc" "$W/desc.wav" "$B" 12 $SEED ||
    ! grep -q "SCORE WRITTEN" "$W/sclang.log"; then
    cat "$W/sclang.log" >&2
    not_ok "sclang wrote the score"
    exit 1
fi
check "NRT render" run_nrt "$W/live.osc" "$W/live.wav" 18 -i 0
check "no server message or failure" test "$(grep -cE 'SeqPredict|ConcatPlay|FAILURE|exception' "$W/live.wav.log")" = 0
(cd "$W" && run_sclang 200 "$SRC/tests/sc/live_desc_check.scd" "$W/desc.wav" "$B" $SEED)
grep -E 'FAILED|ERROR|PATTERNS|WATCHDOG|timed|^LIVE' "$W/live_desc_check.scd.log"
pat_tally "$W/live_desc_check.scd.log"

# `concatseq mosaic --model` (follow's offline twin) feeds the unit played back as followFunc does: with the
# descriptor-input model both give the same samples (guidance 0 and 1)
T=$B/audio.wav
N=$("$PY" -c "import sys; sys.path.insert(0,'$SRC/tests/scripts'); from wavio import read_wav; print(read_wav('$T')[0].shape[0])")
dur=$("$PY" -c "print(($N + 48000) / 48000)")
for g in 0 1; do
    check "mosaic, guidance $g: concatseq mosaic --model" "$CONCATSEQ" mosaic "$B" "$T" -o "$W/cli_g$g.wav" --mode onsets \
        --seed 7 --model "$W/desc.wav" --guidance $g --quiet
    if ! run_sclang 90 "$SRC/tests/sc/live_desc_mosaic.scd" "$W/m_g$g.osc" "$B" "$T" "$N" "$W/desc.wav" "$dur" 7 $g ||
        ! grep -q "SCORE WRITTEN" "$W/sclang.log"; then
        cat "$W/sclang.log" >&2
        not_ok "mosaic, guidance $g: sclang wrote the score"
        continue
    fi
    check "mosaic, guidance $g: NRT render" run_nrt "$W/m_g$g.osc" "$W/nrt_g$g.wav" 1 -i 0
    check "mosaic, guidance $g: followFunc's synth gives the command's samples" "$PY" - "$W/cli_g$g.wav" \
        "$W/nrt_g$g.wav" "$N" "$SRC/tests/scripts" << 'PY'
import sys
sys.path.insert(0, sys.argv[4])
import numpy as np
from wavio import read_wav
a, b, n = read_wav(sys.argv[1])[0][: int(sys.argv[3])], read_wav(sys.argv[2])[0][: int(sys.argv[3])], int(sys.argv[3])
d = np.abs(a.astype(np.float64) - b.astype(np.float64))
print(f"mosaic: {n} samples, max |difference| {d.max():.3g}, rms {np.sqrt((b.astype(np.float64) ** 2).mean()):.4f}")
sys.exit(0 if len(a) == n and len(b) == n and d.max() == 0 and np.abs(b).max() > 0.01 else 1)
PY
done
