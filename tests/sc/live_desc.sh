#!/bin/bash
# live_desc.sh - corpus.play / ConcatSeqLive feed the unit played back to SeqPredict (issue 11's leftover): a GRU 32
# with descriptor inputs (`concatseq train --desc-inputs`) on a11wlk01 grains, played by ConcatSeqLive.graph (the
# graph of ConcatSeqLive.func / corpus.play) in a real scsynth NRT render, free-running at 20 units/s and gapless.
# live_desc_check.scd reads the recorded steps: each step reads the unit ConcatPlay played for the label before
# (the one-block LocalIn delay never shows an older unit), and SeqModelLang fed those units draws the server's
# labels for the same seed, while fed zero rows or the units one step late it does not.
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
check "NRT render" run_nrt "$W/live.osc" "$W/live.wav" 12 -i 0
check "no server message or failure" test "$(grep -cE 'SeqPredict|ConcatPlay|FAILURE|exception' "$W/live.wav.log")" = 0
(cd "$W" && run_sclang 200 "$SRC/tests/sc/live_desc_check.scd" "$W/desc.wav" "$B" $SEED)
grep -E 'FAILED|ERROR|PATTERNS|WATCHDOG|timed|^LIVE' "$W/live_desc_check.scd.log"
pat_tally "$W/live_desc_check.scd.log"
