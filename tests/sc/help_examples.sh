#!/bin/bash
# Help examples: the examples of SeqPredict, SeqModel, ConcatCorpus, ConcatPlay and Guides/ConcatSeq_Guide run on a
# real scsynth (booted by sclang on a private dummy JACK server, the extension installed in a private user
# Extensions folder) with the bundled a11wlk01.wav, chunk by chunk as a user runs them (tests/sc/help_examples.scd):
# no error, no warning, no server failure, the NRT example renders. (The patterns' and Tidal pages run in
# tests/sc/patterns_help.sh.)
source "$(dirname "$0")/sclang_env.bash"

# an installed-style extension in the private home, where sclang and scsynth look by default
ext=$(install_private_extension)

start_jack help
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
run_examples "$W/examples.log" 420 "$SRC/HelpSource/Classes/SeqModel.schelp" \
    "$SRC/HelpSource/Classes/SeqPredict.schelp" "$SRC/HelpSource/Guides/ConcatSeq_Guide.schelp" \
    "$SRC/HelpSource/Classes/ConcatCorpus.schelp" "$SRC/HelpSource/Classes/ConcatPlay.schelp"
check "examples: the corpus and the model were built" grep -q "ready: ConcatCorpus(" "$W/examples.log"
check "examples: the NRT example rendered" grep -q "^rendered" "$W/examples.log"
check "examples: no SeqPredict message (every model was usable)" test "$(grep -c 'SeqPredict:' "$W/examples.log")" = 0
