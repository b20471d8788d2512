#!/bin/bash
# Model x target guidance (issue 10 item 6) in real scsynth NRT renders and in sclang, on a bundle and a GRU made
# from a11wlk01.wav (60 ms grains, 8 labels):
#  - SeqPredict.kr with the corpus, a moving 4-descriptor target (pairs, named) and guidance 0, 1, 4, 100: the
#    label of every step equals the C reference's (tests/c/test_patterns_reference gen --guide, the core's
#    cs_seqp_guide_logits + cs_sample) for the same seed and targets; guidance 0 equals the unguided model; at
#    guidance 100 the label is the nearest-centroid label of the step's target in >= 99 % of the steps;
#  - the same target as a full-vector Buffer (NaN except the four descriptors, set by /b_setn) gives the
#    guidance-4 labels;
#  - a version 2 table, a Buffer that is not a unit table, guidance without a corpus: the unguided labels and one
#    message each (naming `concatseq analyze --force` for the version 2 table);
#  - abuse: NaN / inf / -inf / +-1e30 target values and guidances, pairs outside the table, the corpus Buffer freed,
#    swapped for a version 2 table and back, the corpus input stepping through good, old, wrong, missing and no
#    Buffers: scsynth exits normally, every step's outputs are finite and in range, one message per failing state;
#  - two renders give the same labels (determinism);
#  - the language port (tests/sc/seqpredict_guide_lang.scd): SeqModelLang and Pseqpredict with the corpus's
#    manifest centroids give the C reference's labels for guidance 0, 1, 4, 100, and ConcatSeqGuide's nearest
#    labels are the C core's.
source "$(dirname "$0")/patterns_env.bash"
pat_require "$PAT_REFERENCE" "C reference program (tests/c/test_patterns_reference.c)"
[ -f "$PLUGIN_DIR/SeqPredict.so" ] || { not_ok "no SeqPredict.so in $PLUGIN_DIR"; exit 1; }
R=$PAT_REFERENCE
G="$SRC/tests/scripts/guide_targets.py"
SRC_WAV=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
B="$W/a.corpus"
# --resampler src-medium (the default until issue 12): the >= 99 % bound below was set on this bundle; with
# soxr-hq's the trained model overrides guidance 100 on 5 of the 300 steps (0.9833), the server still equal to
# the C core on every step
"$CS" analyze "$SRC_WAV" -o "$B" --segment grain --unit-ms 60 --hop-ms 60 --clusters 8 --progress none --quiet \
    --resampler src-medium > "$W/analyze.log" 2>&1 || { cat "$W/analyze.log" >&2; not_ok "analyze"; exit 1; }
"$CS" train --arch gru "$B" --epochs 20 --hidden 32 --progress none --quiet > "$W/train.log" 2>&1 \
    || { cat "$W/train.log" >&2; not_ok "train"; exit 1; }
STEPS=300
"$PY" "$G" abuse "$W/abuse.wav" || { not_ok "abuse values"; exit 1; }
SEED=7
"$PY" "$G" make "$B/units.wav" "$W" $STEPS 3 0 3 7 12 || { not_ok "targets"; exit 1; }
"$PY" "$G" v2 "$B/units.wav" "$W/units_v2.wav" || { not_ok "version 2 table"; exit 1; }

# the C reference: labels for each guidance, the unguided labels, the nearest-centroid labels
for g in 0 1 4 100; do
    "$R" gen "$B/model.wav" $STEPS --seed $SEED --guide "$B/units.wav" --targets "$W/targets.txt" --guidance $g \
        > "$W/ref_g$g.txt" || { not_ok "C reference guidance $g"; exit 1; }
done
"$R" gen "$B/model.wav" $STEPS --seed $SEED > "$W/ref_plain.txt"
"$R" gen "$B/model.wav" $STEPS --guide "$B/units.wav" --targets "$W/targets.txt" --nearest 1 > "$W/ref_nearest.txt"
check "C reference: guidance 0 is the unguided model" cmp -s "$W/ref_g0.txt" "$W/ref_plain.txt"
check "C reference: guidance 1 changes the labels" test "$(cat "$W/ref_g1.txt")" != "$(cat "$W/ref_plain.txt")"

agree() { # agree A.txt B.txt: the fraction of equal labels, printed
    "$PY" -c "
a = open('$1').read().split(); b = open('$2').read().split()
n = min(len(a), len(b)); print('%.4f' % (sum(x == y for x, y in zip(a, b)) / n if n else 0))"
}
frac_at_least() { "$PY" -c "import sys; sys.exit(0 if float('$1') >= float('$2') else 1)"; }

render() { # render TAG: score + NRT render; the labels of each synth in $W/TAG_<name>.txt
    local tag=$1 c
    if ! run_sclang 90 "$SRC/tests/sc/seqpredict_guide_nrt.scd" "$W/$tag.osc" "$B/model.wav" "$B" "$W/targets.wav" \
        "$W/units_v2.wav" $STEPS $SEED "$W" "$W/abuse.wav" || ! grep -q "SCORE WRITTEN" "$W/sclang.log"; then
        cat "$W/sclang.log" >&2; not_ok "$tag: sclang wrote the score"; return 1
    fi
    if ! timeout 120 scsynth -N "$W/$tag.osc" _ "$W/$tag.wav" 48000 WAV float -o 1 -i 0 -U "$PLUGINS" \
        > "$W/$tag.log" 2>&1; then
        cat "$W/$tag.log" >&2; not_ok "$tag: scsynth -N"; return 1
    fi
    check "$tag: no server failure" test "$(grep -cE 'FAILURE|exception|Segmentation|alloc failed' "$W/$tag.log")" = 0
    for c in g0 g1 g4 g100 v2 notable nocorpus full4; do
        "$PY" "$G" steps "$W/rec_$c.wav" $STEPS > "$W/${tag}_$c.txt" || not_ok "$tag: recording of $c"
    done
}

render r1 || exit 1
for g in 0 1 4 100; do
    check "server guidance $g: every label equals the C core's ($(agree "$W/r1_g$g.txt" "$W/ref_g$g.txt") agree)" \
        cmp -s "$W/r1_g$g.txt" "$W/ref_g$g.txt"
done
NEAR=$(agree "$W/r1_g100.txt" "$W/ref_nearest.txt")
echo "guidance 100: the nearest-centroid label in a fraction $NEAR of $STEPS steps"
check "guidance 100: nearest-centroid label in >= 99 % of the steps ($NEAR)" frac_at_least "$NEAR" 0.99
echo "guidance 0/1/4 nearest-label agreement: $(agree "$W/r1_g0.txt" "$W/ref_nearest.txt") $(agree "$W/r1_g1.txt" "$W/ref_nearest.txt") $(agree "$W/r1_g4.txt" "$W/ref_nearest.txt")"
check "full-vector target Buffer = the pairs (guidance 4)" cmp -s "$W/r1_full4.txt" "$W/r1_g4.txt"
for c in v2 notable nocorpus; do
    check "$c: guidance off, the unguided labels" cmp -s "$W/r1_$c.txt" "$W/ref_plain.txt"
done
LOG="$W/r1.log"
V=$(head -c 100000 "$B/corpus.json" | "$PY" -c "import json, sys; print(json.load(sys.stdin)['labels'])")
for c in abuse_swap abuse_step; do
    check "$c: every step finite and in range ($("$PY" "$G" check "$W/rec_$c.wav" "$V" | tr '\n' ' '))" \
        "$PY" "$G" check "$W/rec_$c.wav" "$V"
done
msgs() { grep -c -- "$1" "$LOG"; }
# buffer 5 (version 2): the v2 synth and the stepping abuse synth; buffer 0 (a model): the notable synth and the
# stepping one; buffer 99 (none): the stepping one; buffer 6: freed, version 2, freed again (the version 3 table
# afterwards is fine); no corpus with guidance > 0: the nocorpus synth and the stepping one
check "version 2 table: one message per instance naming concatseq analyze --force ($(msgs 'corpus buffer 5: .*concatseq analyze --force.*guidance is off'))" \
    test "$(msgs 'SeqPredict: corpus buffer 5: .*concatseq analyze --force.*guidance is off')" = 2
check "not a unit table: one message per instance ($(msgs 'corpus buffer 0: '))" \
    test "$(msgs 'SeqPredict: corpus buffer 0: .*guidance is off')" = 2
check "no such Buffer: one message ($(msgs 'corpus buffer 99'))" \
    test "$(msgs 'SeqPredict: no unit table in corpus buffer 99; guidance is off')" = 1
check "a swapped corpus Buffer: one message per failing state ($(msgs 'corpus buffer 6'))" \
    test "$(msgs 'SeqPredict: no unit table in corpus buffer 6;')" = 2 -a "$(msgs 'SeqPredict: corpus buffer 6: unit table has no listening section')" = 1
check "guidance without a corpus: one message per instance ($(msgs 'needs a corpus'))" \
    test "$(msgs 'SeqPredict: guidance .* needs a corpus')" = 2
check "no other SeqPredict message ($(msgs SeqPredict))" test "$(msgs 'SeqPredict')" = 10
render r2 || exit 1
check "two renders: the same labels" cmp -s "$W/r1_g4.txt" "$W/r2_g4.txt"

# the language port
(cd "$W" && run_sclang 300 "$SRC/tests/sc/seqpredict_guide_lang.scd" "$B" "$W" $STEPS $SEED)
grep -E 'FAILED|ERROR|PATTERNS-RESULT|WATCHDOG|ms per' "$W/sclang.log"
pat_tally "$W/sclang.log"
