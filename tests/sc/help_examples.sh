#!/bin/bash
# Help examples: the examples of SeqPredict, SeqModel, ConcatCorpus, ConcatPlay and Guides/ConcatSeq_Guide run on a
# real scsynth (booted by sclang on a private dummy JACK server, the extension installed in a private user
# Extensions folder) with the bundled a11wlk01.wav, chunk by chunk as a user runs them (tests/sc/help_examples.scd):
# no error, no warning, no server failure, the NRT example renders. (The patterns' and Tidal pages run in
# tests/sc/patterns_help.sh.)
source "$(dirname "$0")/seqpredict_env.bash"

# an installed-style extension, where sclang and scsynth look by default (XDG_DATA_HOME of the private home)
ext="$HOME_FOR_SCLANG/.local/share/SuperCollider/Extensions/ConcatSeq"
rm -rf "$ext" && mkdir -p "$ext"
cp -r "$SRC/sc-classes" "$ext/Classes"
cp -r "$SRC/HelpSource" "$ext/HelpSource"
cp "$PLUGIN_DIR"/*.so "$ext/"
printf 'includePaths:\n  []\nexcludePaths:\n  []\npostInlineWarnings: false\n' > "$CONF"

start_jack help
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
run_examples "$W/examples.log" 420 "$SRC/HelpSource/Classes/SeqModel.schelp" \
    "$SRC/HelpSource/Classes/SeqPredict.schelp" "$SRC/HelpSource/Guides/ConcatSeq_Guide.schelp" \
    "$SRC/HelpSource/Classes/ConcatCorpus.schelp" "$SRC/HelpSource/Classes/ConcatPlay.schelp"
check "examples: the corpus and the model were built" grep -q "ready: ConcatCorpus(" "$W/examples.log"
check "examples: the NRT example rendered" grep -q "^rendered" "$W/examples.log"
check "examples: no SeqPredict message (every model was usable)" test "$(grep -c 'SeqPredict:' "$W/examples.log")" = 0
