#!/bin/bash
# patterns_streams.sh - Pseqpredict (every argument a pattern), Pconcatunit (policies) and NRT renders of a Pbind
# that plays a corpus with the \concatseq event type (Score.recordNRT: finite, non-silent, deterministic, a unit
# starting at a time that is not a block boundary lands on its exact sample). See patterns_streams.scd.
source "$(dirname "$0")/patterns_env.bash"
pat_require "$PAT_REFERENCE" "C reference program (tests/c/test_patterns_reference.c)"
pat_build_models
"$PAT_REFERENCE" gen "$CS_WORK_DIR/tf.wav" 200 --temp 0 --penalty 2 --history 8 > "$CS_WORK_DIR/tf_t0pen.txt"
pat_sclang "$CS_SOURCE_DIR/tests/sc/patterns_streams.scd" 300 | grep -E 'FAILED|ERROR|PATTERNS|WATCHDOG|SKIP|NRT peak|sclang timed'
pat_tally "$CS_WORK_DIR/patterns_streams.log"
