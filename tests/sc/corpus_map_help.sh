#!/bin/bash
# The examples of ConcatCorpusMap.schelp, headless (QT_QPA_PLATFORM=offscreen), on a real scsynth.
source "$(dirname "$0")/sclang_env.bash"
ext=$(install_private_extension)
start_jack corpus_map_help
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
run_examples "$W/examples.log" 200 "$SRC/HelpSource/Classes/ConcatCorpusMap.schelp"
check "examples: the corpus was built and mapped" grep -q "ConcatCorpus(" "$W/examples.log"
check "examples: the mask was made" grep -q "^mask \[" "$W/examples.log"
