#!/bin/bash
# patterns_desc.sh - descriptor inputs on the language side (SeqModelLang:played / descRow) against the C core:
# a GRU 32 with descriptor inputs (`concatseq train --desc-inputs`) on a11wlk01 onsets; `concatseq sample --tsv`
# (the code SeqPredict runs: each label is fed at the next step with the row of the unit picked for it) gives
# labels and units; SeqModelLang, fed the same units with -played, must draw the same labels for the same seed,
# and its logits after a context must match the C step's within 1e-5 of the logit scale (checked through the
# probabilities sample prints). The header fields are read (descInputs, duration statistics) and a damaged
# descriptor field gives the C parser's reason.
source "$(dirname "$0")/patterns_env.bash"
pat_require "$CONCATSEQ" "concatseq program"
W="$CS_WORK_DIR"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CONCATSEQ" analyze "$SND" -o "$W/d.corpus" --segment grain --unit-ms 50 --hop-ms 50 --clusters 8 --quiet > /dev/null 2>&1 &&
    "$CONCATSEQ" train --arch gru --desc-inputs "$W/d.corpus" -o "$W/desc.wav" --hidden 32 --layers 1 --epochs 8 --quiet > /dev/null 2>&1 \
    || { not_ok "concatseq analyze / train --desc-inputs"; exit 1; }
"$CONCATSEQ" sample "$W/d.corpus" "$W/desc.wav" -n 300 --seed 5 --tsv > "$W/desc_t1.tsv" || not_ok "sample"
"$CONCATSEQ" sample "$W/d.corpus" "$W/desc.wav" -n 200 --seed 8 --temperature 0.7 --top-k 5 --repetition-penalty 1.5 --tsv > "$W/desc_tx.tsv" || not_ok "sample 2"
pat_sclang "$CS_SOURCE_DIR/tests/sc/patterns_desc.scd" 300 | grep -v '^\s*$' | grep -E 'FAILED|ERROR|PATTERNS|WATCHDOG|sclang timed|^FEED'
pat_tally "$W/patterns_desc.log"
