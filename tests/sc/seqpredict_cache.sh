#!/bin/bash
# SeqPredict's label cache (issue 11 item 4) in real scsynth NRT renders and in sclang, on a bundle of a11wlk01.wav
# (60 ms grains, 8 labels), a GRU and a GRU + modified-KN mixture trained on it:
#  - the C reference (tests/c/test_patterns_reference gen --cache W: cs_label_cache + cs_sample, written on the core
#    directly) at W 0 is the model alone, at W 0.3 it differs; `concatseq sample --cache W` (the SeqPredict core)
#    gives the reference's labels;
#  - SeqPredict.kr stepped at 20 Hz with cache 0, 0.3, 1 (GRU) and 0.5 (mixture): every label equals the C
#    reference's for the same seed; with a reset (same seed) between two steps the labels from there repeat the
#    first ones (a reset empties the cache); two renders give the same labels;
#  - the language port (tests/sc/seqpredict_cache_lang.scd): SeqModelLang and Pseqpredict with the same cache
#    weights give the C reference's labels; the cache's state (counts, total, reset, fork).
source "$(dirname "$0")/patterns_env.bash"
pat_require "$PAT_REFERENCE" "C reference program (tests/c/test_patterns_reference.c)"
[ -f "$PLUGIN_DIR/SeqPredict.so" ] || { not_ok "no SeqPredict.so in $PLUGIN_DIR"; exit 1; }
R=$PAT_REFERENCE
SRC_WAV=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
B="$W/a.corpus"
"$CS" analyze "$SRC_WAV" -o "$B" --segment grain --unit-ms 60 --hop-ms 60 --clusters 8 --progress none --quiet \
    > "$W/analyze.log" 2>&1 || { cat "$W/analyze.log" >&2; not_ok "analyze"; exit 1; }
"$CS" train --arch gru "$B" -o "$W/gru.wav" --epochs 20 --hidden 32 --progress none --quiet > "$W/train.log" 2>&1 \
    || { cat "$W/train.log" >&2; not_ok "train the GRU"; exit 1; }
"$CS" train --arch gru --ngram-mix "$B" -o "$W/mix.wav" --epochs 20 --hidden 32 --progress none --quiet \
    > "$W/train_mix.log" 2>&1 || { cat "$W/train_mix.log" >&2; not_ok "train the mixture"; exit 1; }
STEPS=300
SEED=7
RESET=150
for c in 0 0.3 1; do
    "$R" gen "$W/gru.wav" $STEPS --seed $SEED --cache $c > "$W/ref_gru_c$c.txt" || { not_ok "C reference cache $c"; exit 1; }
done
"$R" gen "$W/mix.wav" $STEPS --seed $SEED --cache 0.5 > "$W/ref_mix_c0.5.txt" || { not_ok "C reference mixture"; exit 1; }
"$R" gen "$W/gru.wav" $STEPS --seed $SEED > "$W/ref_plain.txt"
check "C reference: cache 0 is the model alone" cmp -s "$W/ref_gru_c0.txt" "$W/ref_plain.txt"
check "C reference: cache 0.3 changes the labels" test "$(cat "$W/ref_gru_c0.3.txt")" != "$(cat "$W/ref_plain.txt")"
check "concatseq sample --cache 0.3: the C reference's labels" \
    test "$("$CS" sample "$B" "$W/gru.wav" -n $STEPS --seed $SEED --cache 0.3)" = "$(cat "$W/ref_gru_c0.3.txt")"
check "concatseq sample --cache 0.5 (mixture): the C reference's labels" \
    test "$("$CS" sample "$B" "$W/mix.wav" -n $STEPS --seed $SEED --cache 0.5)" = "$(cat "$W/ref_mix_c0.5.txt")"
# the repeated labels cache 1 must give: with the cache alone, a label is drawn among those already played
check "cache 1: after the first step only labels already played" "$PY" -c "
v = open('$W/ref_gru_c1.txt').read().split(); seen = {v[0]}
ok = all(x in seen or seen.add(x) for x in v[1:]) and len(seen) == 1
import sys; sys.exit(0 if ok else 1)"

agree() { # the fraction of equal labels of two label files, printed
    "$PY" -c "
a = open('$1').read().split(); b = open('$2').read().split()
n = min(len(a), len(b)); print('%.4f' % (sum(x == y for x, y in zip(a, b)) / n if n else 0))"
}
render() { # render TAG: score + NRT render; the labels of each synth in $W/TAG_<name>.txt
    local tag=$1 c
    if ! run_sclang 90 "$SRC/tests/sc/seqpredict_cache_nrt.scd" "$W/$tag.osc" "$W/gru.wav" "$W/mix.wav" $STEPS $SEED \
        "$W" $RESET || ! grep -q "SCORE WRITTEN" "$W/sclang.log"; then
        cat "$W/sclang.log" >&2; not_ok "$tag: sclang wrote the score"; return 1
    fi
    if ! timeout 120 scsynth -N "$W/$tag.osc" _ "$W/$tag.wav" 48000 WAV float -o 1 -i 0 -U "$PLUGINS" \
        > "$W/$tag.log" 2>&1; then
        cat "$W/$tag.log" >&2; not_ok "$tag: scsynth -N"; return 1
    fi
    check "$tag: no server message or failure" test "$(grep -cE 'SeqPredict|FAILURE|exception|Segmentation' "$W/$tag.log")" = 0
    for c in c0 c03 c1 mix05 reset03; do
        "$PY" "$SRC/tests/scripts/guide_targets.py" steps "$W/rec_$c.wav" $STEPS > "$W/${tag}_$c.txt" || not_ok "$tag: recording of $c"
    done
}
render r1 || exit 1
for c in c0:gru_c0 c03:gru_c0.3 c1:gru_c1 mix05:mix_c0.5; do
    check "server ${c%%:*}: every label equals the C core's ($(agree "$W/r1_${c%%:*}.txt" "$W/ref_${c#*:}.txt") agree)" \
        cmp -s "$W/r1_${c%%:*}.txt" "$W/ref_${c#*:}.txt"
done
check "server: a reset empties the cache (the steps from $RESET on repeat the first $((STEPS - RESET)))" "$PY" -c "
r = open('$W/r1_reset03.txt').read().split(); ref = open('$W/ref_gru_c0.3.txt').read().split()
import sys; sys.exit(0 if r[:$RESET] == ref[:$RESET] and r[$RESET:] == ref[:$STEPS - $RESET] else 1)"
render r2 || exit 1
check "two renders: the same labels" cmp -s "$W/r1_c03.txt" "$W/r2_c03.txt"

# the language port
(cd "$W" && run_sclang 300 "$SRC/tests/sc/seqpredict_cache_lang.scd" "$W/gru.wav" "$W/mix.wav" "$W" $STEPS $SEED)
grep -E 'FAILED|ERROR|PATTERNS-RESULT|WATCHDOG|ms per' "$W/sclang.log"
pat_tally "$W/sclang.log"
