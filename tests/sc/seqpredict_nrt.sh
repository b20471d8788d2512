#!/bin/bash
# SeqPredict driving ConcatPlay in real scsynth NRT renders (score written by headless sclang with the
# SeqModel and ConcatCorpus classes) on a real bundle and model made from a11wlk01.wav:
#  - the render is finite, non-silent, and its samples byte-identical across two renders (the WAV header's PEAK
#    chunk holds a timestamp, so the data chunks are compared);
#  - its label sequence (written to the render as a signal), probabilities and entropies equal the C core's
#    for the same trigger/prime/reset schedule and seed (tests/c/test_seqpredict_logic --render, a reference
#    written on cs_model + cs_sample directly), and its audio equals ConcatPlay's core driven by those labels
#    within -90 dB (tests/scripts/seqpredict_compare.py);
#  - a second parameter set (argmax temperature 0, top-k/top-p, repetition penalty) likewise.
source "$(dirname "$0")/seqpredict_env.bash"

make_bundle "$W/a.corpus" 8 || exit 1
V=$("$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import wavio
h, _, _, _ = wavio.read_wav('$W/a.corpus/model.wav'); print(int(h[4, 0]))")
RATE=48000
SECS=4
"$PY" "$SRC/tests/scripts/seqpredict_schedule.py" "$W/ctl.wav" $RATE $SECS "$V" 3 > "$W/schedule.log" \
    || { not_ok "schedule"; exit 1; }

render() { # render NAME SEED TEMP TOPK TOPP PENALTY HISTORY PLAYSEED
    local name=$1; shift
    if ! run_sclang 90 "$SRC/tests/sc/seqpredict_nrt.scd" "$W/$name.osc" "$W/a.corpus/model.wav" "$W/a.corpus" \
        "$W/ctl.wav" $SECS "$@" || ! grep -q "SCORE WRITTEN" "$W/sclang.log"; then
        cat "$W/sclang.log" >&2; not_ok "$name: sclang wrote the score"; return 1
    fi
    for run in 1 2; do
        if ! timeout 120 scsynth -N "$W/$name.osc" _ "$W/$name.$run.wav" $RATE WAV float -o 7 -i 0 \
            -U "$PLUGINS" > "$W/$name.$run.log" 2>&1; then
            cat "$W/$name.$run.log" >&2; not_ok "$name: scsynth -N run $run"; return 1
        fi
    done
    check "$name: two renders have byte-identical samples" same_samples "$W/$name.1.wav" "$W/$name.2.wav"
    # the schedule holds one out-of-range prime stretch: exactly that one message, nothing else
    check "$name: one message (the out-of-range prime), no other" \
        test "$(grep -c 'SeqPredict' "$W/$name.1.log")" = 1 -a "$(grep -c 'prime .* is out of range' "$W/$name.1.log")" = 1 \
        -a "$(grep -cE 'ConcatPlay|FAILURE|exception' "$W/$name.1.log")" = 0
    if ! "$HARNESS" --render "$W/$name.1.wav" "$W/a.corpus/model.wav" "$W/a.corpus" "$W/$name.expected.wav" \
        "$@" > "$W/$name.harness.log" 2>&1; then
        cat "$W/$name.harness.log" >&2; not_ok "$name: C harness"; return 1
    fi
    if "$PY" "$SRC/tests/scripts/seqpredict_compare.py" "$W/$name.1.wav" "$W/$name.expected.wav" "$V" \
        > "$W/$name.compare.log" 2>&1; then ok; else not_ok "$name: render vs C core"; fi
    sed "s/^/  $name: /" "$W/$name.compare.log"
}

#        name     seed temp topk topp penalty history playseed
render sampled    7    1    0    1    1       0       11
render truncated  123  0.7  4    0.9  1.5     6       5
render argmax     1    0    0    1    1.2     3       2
