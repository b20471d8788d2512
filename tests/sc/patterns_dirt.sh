#!/bin/bash
# patterns_dirt.sh - the SuperDirt / Tidal glue (ConcatSeq.addToDirt) driven exactly as SuperDirt drives a sound
# (a DirtEvent stand-in; SuperDirt itself when installed), model stepping per orbit and priming by n, an NRT
# render of the resulting synths; and the live player's synth (ConcatSeqLive: SeqPredict -> ConcatPlay) rendered
# in NRT through free-running, gapless and a corpus swap. See patterns_dirt.scd.
source "$(dirname "$0")/patterns_env.bash"
pat_build_models
pat_sclang "$CS_SOURCE_DIR/tests/sc/patterns_dirt.scd" 260 | grep -E 'FAILED|ERROR|PATTERNS|WATCHDOG|SKIP|sclang timed'
pat_tally "$CS_WORK_DIR/patterns_dirt.log"
